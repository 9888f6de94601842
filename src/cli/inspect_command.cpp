// `genlab inspect FILE.safetensors`: validate a weights file and list its tensors and metadata.
#include "cli/cli.h"
#include "io/safetensors.h"
#include "io/sha256.h"

#include <cstdio>
#include <stdexcept>

namespace {

int inspect(const cli::Args& args) {
    args.allow_only({});
    if (args.positional.size() != 1)
        throw std::invalid_argument("usage: genlab inspect FILE.safetensors (one file)");
    const std::string& path = args.positional[0];
    // read_safetensors runs every validation check; a bad file throws with the reason, which
    // main() prints before exiting with status 1.
    io::SafetensorsFile file = io::read_safetensors(path);
    std::printf("%s\n", io::describe(file).c_str());
    std::printf("bytes   %zu\nsha256  %s\n", file.bytes.size(), io::sha256_hex(file.bytes).c_str());
    return 0;
}

const bool registered = cli::register_command(
    "inspect", "", "FILE.safetensors: validate, list tensors, metadata and sha256", inspect);

}  // namespace
