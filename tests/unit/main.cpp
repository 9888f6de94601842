// The doctest runner for every tests/unit/*.cpp, native and wasm (run under node).
// Usual doctest flags work: genlab_tests -tc="safetensors*" -s
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
