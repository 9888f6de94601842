// safetensors reader and writer (Hugging Face format):
//   [u64 little-endian N][N bytes JSON header, may be space-padded][data section]
// Header: {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [..],
//          "data_offsets": [begin, end]}, ...}, offsets relative to the data section,
// data raw little-endian row-major. parse_safetensors() performs every check of the reference
// validate() (see STYLE.md) so a bad file fails here with a message, never later with UB.
//
// GenLab reads F32, F16 and BF16 (converted to float32) and writes F32 or F16. Files holding
// other known dtypes (I64, U8, ...) still parse, so `genlab inspect` can list them; reading
// such a tensor as float throws.
#pragma once

#include "io/file_bytes.h"
#include "nn/tensor.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace io {

struct SafetensorsError : IoError {
    using IoError::IoError;
};

enum class Dtype { F32, F16 };  // what save/serialize can write

struct TensorInfo {
    std::string name;
    std::string dtype;            // as in the header: "F32", "F16", "BF16", "I64", ...
    std::vector<int64_t> shape;   // PyTorch shape; [] is a scalar
    size_t begin = 0, end = 0;    // byte offsets relative to the data section
    int64_t numel() const { return nn::shape_numel(shape); }
};

struct SafetensorsFile {
    std::string source;                           // file path or in-memory label, for errors
    std::map<std::string, std::string> metadata;  // "__metadata__"
    std::vector<TensorInfo> tensors;              // in data-offset order
    std::vector<uint8_t> bytes;                   // the whole file
    size_t data_start = 0;                        // 8 + N

    const TensorInfo* find(const std::string& name) const;  // nullptr when absent
    // The tensor's elements as float32, row-major. Throws for dtypes other than F32/F16/BF16.
    std::vector<float> read_f32(const TensorInfo& tensor) const;
};

constexpr uint64_t kMaxSafetensorsHeaderBytes = 100u * 1000u * 1000u;  // reference limit

// Validates and indexes `bytes`; `source` names it in errors. Throws SafetensorsError.
SafetensorsFile parse_safetensors(std::vector<uint8_t> bytes, std::string source);
SafetensorsFile read_safetensors(const std::string& path);

// Tensors are written in name order; the header is padded with spaces to a multiple of 8 so
// the data section is 8-byte aligned. Throws SafetensorsError for duplicate or empty names, a
// name "__metadata__", or a Param whose value.size() != product(shape).
std::vector<uint8_t> serialize_safetensors(const nn::ParamList& params,
                                           const std::map<std::string, std::string>& metadata,
                                           Dtype dtype = Dtype::F32);
void save_safetensors(const std::string& path, const nn::ParamList& params,
                      const std::map<std::string, std::string>& metadata, Dtype dtype = Dtype::F32);

struct LoadOptions {
    bool allow_extra = false;  // tolerate tensors in the file that no Param asks for
};

// Copies every Param's tensor from the file into Param::value (row-major, value.size() ==
// numel). Checks all first and reports every problem in one SafetensorsError: missing tensor,
// shape mismatch (file, tensor, found and expected shape), unreadable dtype, extra tensors.
// Nothing is modified unless all checks pass.
void load_params(const SafetensorsFile& file, const nn::ParamList& params, LoadOptions options = {});

// A human-readable listing for `genlab inspect`: tensors, dtypes, shapes, byte sizes, metadata.
std::string describe(const SafetensorsFile& file);

// Size in bytes of one element of a dtype named in a header, 0 if the name is unknown.
size_t dtype_size(const std::string& dtype);

// IEEE 754 binary16 and bfloat16 conversions, through Eigen::half and Eigen::bfloat16.
float half_to_float(uint16_t bits);    // exact, including subnormals, inf and NaN
uint16_t float_to_half(float value);   // round to nearest even; overflow -> inf; NaN stays NaN
float bf16_to_float(uint16_t bits);    // exact

}  // namespace io
