#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

namespace io {

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) {
    throw SafetensorsError(source + ": " + what);
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

std::string dump_scalar(const json& j) {
    std::string s = j.dump(-1, ' ', true, json::error_handler_t::replace);
    return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// A short rendering of a JSON value for error messages. Only one level deep: json::dump
// recurses, and a hostile header can nest a million arrays.
std::string json_excerpt(const json& j) {
    if (!j.is_structured()) return dump_scalar(j);
    std::string s = j.is_array() ? "[" : "{";
    size_t i = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++i) {
        if (i) s += ", ";
        if (s.size() > 50) {
            s += "...";
            break;
        }
        if (j.is_object()) s += dump_scalar(json(it.key())) + ": ";
        s += it->is_array() ? "[...]" : it->is_object() ? "{...}" : dump_scalar(*it);
    }
    return s + (j.is_array() ? "]" : "}");
}

bool as_non_negative(const json& j, uint64_t& out) {
    if (j.is_number_unsigned()) {
        out = j.get<uint64_t>();
        return true;
    }
    if (j.is_number_integer() && j.get<int64_t>() >= 0) {
        out = uint64_t(j.get<int64_t>());
        return true;
    }
    return false;
}

bool checked_mul(uint64_t a, uint64_t b, uint64_t& out) {
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
    out = a * b;
    return true;
}

const std::map<std::string, size_t>& dtype_sizes() {
    static const std::map<std::string, size_t> sizes = {
        {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
        {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
        {"I64", 8},  {"U64", 8}, {"F64", 8},
    };
    return sizes;
}

bool is_float_readable(const std::string& dtype) {
    return dtype == "F32" || dtype == "F16" || dtype == "BF16";
}

TensorInfo parse_entry(const std::string& source, const std::string& name, const json& entry) {
    const std::string where = "tensor " + name;
    if (!entry.is_object())
        fail(source, where + ": header entry must be an object with dtype, shape, data_offsets; found " +
                         json_excerpt(entry));
    TensorInfo info;
    info.name = name;

    auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end() || !dtype_it->is_string())
        fail(source, where + ": \"dtype\" must be a string such as \"F32\"; found " +
                         (dtype_it == entry.end() ? std::string("nothing") : json_excerpt(*dtype_it)));
    info.dtype = dtype_it->get<std::string>();
    size_t elem_size = dtype_size(info.dtype);
    if (elem_size == 0)
        fail(source, where + " has unknown dtype " + in_quotes(info.dtype) +
                         " (expected F32, F16 or BF16; safetensors also defines BOOL, U8, I8, "
                         "F8_E5M2, F8_E4M3, I16, U16, I32, U32, I64, U64, F64)");

    auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array())
        fail(source, where + ": \"shape\" must be an array of non-negative integers; found " +
                         (shape_it == entry.end() ? std::string("nothing") : json_excerpt(*shape_it)));
    uint64_t numel = 1;
    for (const json& dim : *shape_it) {
        uint64_t d = 0;
        if (!as_non_negative(dim, d) || d > uint64_t(std::numeric_limits<int64_t>::max()))
            fail(source, where + ": \"shape\" must be an array of non-negative integers; found " +
                             json_excerpt(*shape_it));
        info.shape.push_back(int64_t(d));
        // Every prefix product must fit int64 so nn::shape_numel() cannot overflow later.
        if (!checked_mul(numel, d, numel) || numel > uint64_t(std::numeric_limits<int64_t>::max()))
            fail(source, where + ": shape " + json_excerpt(*shape_it) +
                             " has more elements than fit in 64 bits");
    }
    uint64_t nbytes = 0;
    if (!checked_mul(numel, elem_size, nbytes))
        fail(source, where + ": shape " + json_excerpt(*shape_it) + " with dtype " + info.dtype +
                         " needs more bytes than fit in 64 bits");

    auto offsets_it = entry.find("data_offsets");
    uint64_t begin = 0, end = 0;
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !as_non_negative((*offsets_it)[0], begin) || !as_non_negative((*offsets_it)[1], end))
        fail(source, where + ": \"data_offsets\" must be [begin, end] with two non-negative integers; found " +
                         (offsets_it == entry.end() ? std::string("nothing") : json_excerpt(*offsets_it)));
    if (begin > end)
        fail(source, where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                         "] has begin > end");
    if (end - begin != nbytes)
        fail(source, where + ": shape " + nn::shape_to_string(info.shape) + " with dtype " +
                         info.dtype + " needs " + std::to_string(nbytes) + " bytes, but data_offsets [" +
                         std::to_string(begin) + ", " + std::to_string(end) + "] span " +
                         std::to_string(end - begin) + " bytes");
    // end - begin == nbytes and the contiguity check bound both by the data size, which fits size_t.
    if (end > std::numeric_limits<size_t>::max())
        fail(source, where + ": data_offsets end " + std::to_string(end) + " is beyond any file");
    info.begin = size_t(begin);
    info.end = size_t(end);
    return info;
}

// Parses the header, rejecting duplicate keys in any object: nlohmann::json would silently keep
// the last one, and the reference parser rejects them.
json parse_header_json(const std::string& source, const char* first, const char* last) {
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    bool duplicate_is_tensor = false;
    json::parser_callback_t on_event = [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) {
            open_objects.emplace_back();
        } else if (event == json::parse_event_t::object_end) {
            if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == json::parse_event_t::key && !open_objects.empty() && parsed.is_string()) {
            if (!open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
                duplicate = parsed.get<std::string>();
                duplicate_is_tensor = open_objects.size() == 1;
            }
        }
        return true;
    };
    json header;
    try {
        header = json::parse(first, last, on_event);
    } catch (const json::exception& e) {
        fail(source, std::string("header is not valid JSON (") + e.what() + "); not a safetensors file?");
    }
    if (!duplicate.empty()) {
        if (duplicate_is_tensor) fail(source, "duplicate tensor name " + duplicate + " in header");
        fail(source, "duplicate key " + in_quotes(duplicate) + " inside a header entry");
    }
    return header;
}

void append_f32(std::vector<uint8_t>& out, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    append_u32_le(out, bits);
}

}  // namespace

size_t dtype_size(const std::string& dtype) {
    auto it = dtype_sizes().find(dtype);
    return it == dtype_sizes().end() ? 0 : it->second;
}

// Eigen's half and bfloat16 (Eigen/Core): float -> half rounds to nearest even (F16C's
// instruction where the compiler targets it, the same rounding in software elsewhere).
float half_to_float(uint16_t bits) { return float(Eigen::numext::bit_cast<Eigen::half>(bits)); }
uint16_t float_to_half(float value) { return Eigen::numext::bit_cast<uint16_t>(Eigen::half(value)); }
float bf16_to_float(uint16_t bits) { return float(Eigen::numext::bit_cast<Eigen::bfloat16>(bits)); }

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    for (const TensorInfo& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<float> SafetensorsFile::read_f32(const TensorInfo& tensor) const {
    if (!is_float_readable(tensor.dtype))
        fail(source, "tensor " + tensor.name + " has unsupported dtype " + tensor.dtype +
                         " (GenLab reads F32, F16, BF16; convert the checkpoint to float first)");
    const size_t elem = dtype_size(tensor.dtype);
    if (tensor.end < tensor.begin || data_start + tensor.end > bytes.size() ||
        (tensor.end - tensor.begin) % elem != 0)
        fail(source, "tensor " + tensor.name + " lies outside the data section (file changed after parsing?)");
    const size_t n = (tensor.end - tensor.begin) / elem;
    const uint8_t* p = bytes.data() + data_start + tensor.begin;
    std::vector<float> out(n);
    // Byte loads, not pointer casts: tensor data need not be aligned.
    if (tensor.dtype == "F32") {
        for (size_t i = 0; i < n; ++i) {
            uint32_t bits = load_u32_le(p + 4 * i);
            std::memcpy(&out[i], &bits, 4);
        }
    } else {
        const bool is_half = tensor.dtype == "F16";
        for (size_t i = 0; i < n; ++i) {
            uint16_t bits = uint16_t(p[2 * i] | (p[2 * i + 1] << 8));
            out[i] = is_half ? half_to_float(bits) : bf16_to_float(bits);
        }
    }
    return out;
}

SafetensorsFile parse_safetensors(std::vector<uint8_t> bytes, std::string source) {
    if (bytes.size() < 8)
        fail(source, "file is " + std::to_string(bytes.size()) +
                         " bytes, shorter than the 8-byte header length; not a safetensors file");
    const uint64_t header_len = load_u64_le(bytes.data());
    if (header_len > kMaxSafetensorsHeaderBytes)
        fail(source, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                         std::to_string(kMaxSafetensorsHeaderBytes) +
                         " bytes; not a safetensors file, or corrupt");
    if (header_len > bytes.size() - 8)
        fail(source, "header length " + std::to_string(header_len) + " but only " +
                         std::to_string(bytes.size() - 8) +
                         " bytes follow the 8-byte prefix; file truncated? (re-download or re-save it)");
    const char* header_begin = reinterpret_cast<const char*>(bytes.data() + 8);
    json header = parse_header_json(source, header_begin, header_begin + header_len);
    if (!header.is_object())
        fail(source, std::string("header must be a JSON object; found ") + header.type_name());

    SafetensorsFile file;
    file.source = std::move(source);
    file.data_start = size_t(8 + header_len);
    const size_t data_size = bytes.size() - file.data_start;

    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object())
                fail(file.source, std::string("__metadata__ must be an object of string to string; found ") +
                                      it.value().type_name());
            for (auto m = it.value().begin(); m != it.value().end(); ++m) {
                if (!m.value().is_string())
                    fail(file.source, "__metadata__ value for key " + in_quotes(m.key()) +
                                          " must be a string; found " + json_excerpt(m.value()));
                file.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        file.tensors.push_back(parse_entry(file.source, it.key(), it.value()));
    }

    std::sort(file.tensors.begin(), file.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    size_t expected_begin = 0;
    const TensorInfo* previous = nullptr;
    for (const TensorInfo& t : file.tensors) {
        if (t.begin != expected_begin) {
            if (!previous)
                fail(file.source, "tensor " + t.name + " starts at data offset " + std::to_string(t.begin) +
                                      ", expected 0 (the first tensor must start the data section)");
            if (t.begin > expected_begin)
                fail(file.source, "tensor " + t.name + " starts at data offset " + std::to_string(t.begin) +
                                      ", expected " + std::to_string(expected_begin) + " where tensor " +
                                      previous->name + " ends (a hole of " +
                                      std::to_string(t.begin - expected_begin) + " bytes)");
            fail(file.source, "tensor " + t.name + " starts at data offset " + std::to_string(t.begin) +
                                  ", expected " + std::to_string(expected_begin) + ": it overlaps tensor " +
                                  previous->name);
        }
        expected_begin = t.end;
        previous = &t;
    }
    if (expected_begin != data_size) {
        if (expected_begin > data_size)
            fail(file.source, "tensor " + previous->name + " ends at data offset " +
                                  std::to_string(expected_begin) + ", but the data section has only " +
                                  std::to_string(data_size) + " bytes; file truncated?");
        fail(file.source, (previous ? "last tensor " + previous->name + " ends at data offset " +
                                          std::to_string(expected_begin)
                                    : std::string("header lists no tensors")) +
                              ", expected the data section size " + std::to_string(data_size) + " (" +
                              std::to_string(data_size - expected_begin) + " unaccounted bytes)");
    }
    file.bytes = std::move(bytes);
    return file;
}

SafetensorsFile read_safetensors(const std::string& path) {
    std::vector<uint8_t> bytes;
    try {
        bytes = read_file_bytes(path);
    } catch (const IoError& e) {
        throw SafetensorsError(e.what());
    }
    return parse_safetensors(std::move(bytes), path);
}

std::vector<uint8_t> serialize_safetensors(const nn::ParamList& params,
                                           const std::map<std::string, std::string>& metadata,
                                           Dtype dtype) {
    const std::string source = "serialize_safetensors";
    std::vector<const nn::Param*> sorted(params.params.begin(), params.params.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const nn::Param* a, const nn::Param* b) { return a->name < b->name; });
    const size_t elem = dtype == Dtype::F32 ? 4 : 2;

    json header = json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    size_t offset = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
        const nn::Param& p = *sorted[i];
        if (p.name.empty() || p.name == "__metadata__")
            fail(source, "parameter name " + in_quotes(p.name) + " cannot be stored (empty or reserved)");
        if (i > 0 && sorted[i - 1]->name == p.name) fail(source, "duplicate parameter name " + p.name);
        for (int64_t d : p.shape)
            if (d < 0) fail(source, "parameter " + p.name + " has negative shape " + nn::shape_to_string(p.shape));
        if (nn::shape_numel(p.shape) != int64_t(p.value.size()))
            fail(source, "parameter " + p.name + " has shape " + nn::shape_to_string(p.shape) + " (" +
                             std::to_string(nn::shape_numel(p.shape)) + " elements) but its value holds " +
                             std::to_string(p.value.size()));
        const size_t nbytes = size_t(p.value.size()) * elem;
        header[p.name] = {{"dtype", dtype == Dtype::F32 ? "F32" : "F16"},
                          {"shape", p.shape},
                          {"data_offsets", {offset, offset + nbytes}}};
        offset += nbytes;
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const json::exception& e) {
        fail(source, std::string("cannot encode header (names and metadata must be UTF-8): ") + e.what());
    }
    text.append((8 - text.size() % 8) % 8, ' ');

    std::vector<uint8_t> out;
    out.reserve(8 + text.size() + offset);
    append_u64_le(out, text.size());
    out.insert(out.end(), text.begin(), text.end());
    for (const nn::Param* p : sorted) {
        const float* values = p->value.data();  // row-major: the PyTorch element order
        for (Eigen::Index i = 0; i < p->value.size(); ++i) {
            if (dtype == Dtype::F32) {
                append_f32(out, values[i]);
            } else {
                uint16_t h = float_to_half(values[i]);
                out.push_back(uint8_t(h & 0xFF));
                out.push_back(uint8_t(h >> 8));
            }
        }
    }
    return out;
}

void save_safetensors(const std::string& path, const nn::ParamList& params,
                      const std::map<std::string, std::string>& metadata, Dtype dtype) {
    std::vector<uint8_t> bytes;
    try {
        bytes = serialize_safetensors(params, metadata, dtype);
    } catch (const SafetensorsError& e) {
        throw SafetensorsError(path + ": " + e.what());
    }
    try {
        write_file_bytes(path, bytes);
    } catch (const IoError& e) {
        throw SafetensorsError(e.what());
    }
}

void load_params(const SafetensorsFile& file, const nn::ParamList& params, LoadOptions options) {
    std::vector<std::string> problems;
    std::set<std::string> wanted;
    for (const nn::Param* p : params.params) {
        wanted.insert(p->name);
        const TensorInfo* t = file.find(p->name);
        if (!t) {
            problems.push_back("tensor " + p->name + " is missing, expected shape " +
                               nn::shape_to_string(p->shape));
        } else if (t->shape != p->shape) {
            problems.push_back("tensor " + p->name + " has shape " + nn::shape_to_string(t->shape) +
                               ", expected " + nn::shape_to_string(p->shape));
        } else if (!is_float_readable(t->dtype)) {
            problems.push_back("tensor " + p->name + " has unsupported dtype " + t->dtype +
                               " (GenLab reads F32, F16, BF16)");
        } else if (int64_t(p->value.size()) != t->numel()) {
            problems.push_back("parameter " + p->name + " holds " + std::to_string(p->value.size()) +
                               " values but its shape " + nn::shape_to_string(p->shape) + " has " +
                               std::to_string(t->numel()) + " (model bug: param_init rows*cols)");
        }
    }
    if (!options.allow_extra) {
        for (const TensorInfo& t : file.tensors)
            if (!wanted.count(t.name))
                problems.push_back("unexpected tensor " + t.name + " " + nn::shape_to_string(t.shape) +
                                   " that the model does not have");
    }
    if (problems.size() == 1)
        fail(file.source, problems[0] + " (was the file saved by a model with a different configuration?)");
    if (!problems.empty()) {
        std::string message = std::to_string(problems.size()) +
                              " problems loading parameters (was the file saved by a model with a "
                              "different configuration?):";
        for (const std::string& p : problems) message += "\n  " + p;
        fail(file.source, message);
    }
    for (nn::Param* p : params.params) {
        std::vector<float> values = file.read_f32(*file.find(p->name));
        std::copy(values.begin(), values.end(), p->value.data());
    }
}

std::string describe(const SafetensorsFile& file) {
    std::ostringstream out;
    int64_t total_elements = 0;
    for (const TensorInfo& t : file.tensors) total_elements += t.numel();
    out << file.source << ": " << file.tensors.size() << " tensors, " << total_elements
        << " elements, " << file.bytes.size() - file.data_start << " data bytes, header "
        << file.data_start - 8 << " bytes\n";
    if (!file.metadata.empty()) {
        out << "metadata:\n";
        for (const auto& [key, value] : file.metadata) out << "  " << key << " = " << value << "\n";
    }
    size_t name_width = 4;
    for (const TensorInfo& t : file.tensors) name_width = std::max(name_width, t.name.size());
    out << "tensors (in file order):\n";
    for (const TensorInfo& t : file.tensors) {
        std::string shape = nn::shape_to_string(t.shape);
        out << "  " << t.name << std::string(name_width - t.name.size() + 2, ' ') << t.dtype
            << std::string(t.dtype.size() < 5 ? 5 - t.dtype.size() : 1, ' ') << shape
            << std::string(shape.size() < 18 ? 18 - shape.size() : 1, ' ') << (t.end - t.begin)
            << " bytes\n";
    }
    return out.str();
}

}  // namespace io
