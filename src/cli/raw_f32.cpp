#include "cli/raw_f32.h"

#include "io/file_bytes.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace cli {

nn::Matrix read_raw_f32(const std::string& path, int cols, const std::string& option,
                        int64_t max_rows) {
    const std::vector<uint8_t> bytes = io::read_file_bytes(path);
    const size_t row_bytes = size_t(4) * size_t(cols);
    if (cols < 1 || bytes.empty() || bytes.size() % row_bytes != 0)
        throw std::invalid_argument(option + " " + path + ": " + std::to_string(bytes.size()) +
                                    " bytes is not a whole number of rows of " +
                                    std::to_string(cols) + " float32 values (" +
                                    std::to_string(row_bytes) + " bytes each)");
    const int64_t rows = int64_t(bytes.size() / row_bytes);
    if (rows > max_rows)
        throw std::invalid_argument(option + " " + path + ": " + std::to_string(rows) +
                                    " rows, at most " + std::to_string(max_rows) + " allowed");
    nn::Matrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) {
        const uint32_t bits = io::load_u32_le(bytes.data() + 4 * size_t(i));
        float v;
        std::memcpy(&v, &bits, 4);
        if (!std::isfinite(v))
            throw std::invalid_argument(option + " " + path + ": value " + std::to_string(i) +
                                        " (row " + std::to_string(i / cols) + ") is not finite");
        m.data()[i] = v;
    }
    return m;
}

void write_raw_f32(const std::string& path, const nn::Matrix& m) {
    std::vector<uint8_t> bytes;
    bytes.reserve(size_t(m.size()) * 4);
    for (Eigen::Index i = 0; i < m.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, m.data() + i, 4);
        io::append_u32_le(bytes, bits);
    }
    io::write_file_bytes(path, bytes);
}

nn::Matrix read_z_option(const Args& args, int latent, int& n) {
    nn::Matrix z = read_raw_f32(args.get("z", ""), latent, "--z", kMaxImages);
    if (args.has("n") && n != z.rows())
        throw std::invalid_argument("--n " + std::to_string(n) + " but --z holds " +
                                    std::to_string(z.rows()) + " latents (leave --n out)");
    n = static_cast<int>(z.rows());
    return z;
}

bool is_raw_f32_path(const std::string& path) {
    return path.size() >= 4 && path.compare(path.size() - 4, 4, ".f32") == 0;
}

}  // namespace cli
