#include "io/file_bytes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace io {

namespace {
struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
    FilePtr f(std::fopen(path.c_str(), "rb"));
    if (!f) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
    // Read in chunks instead of trusting fseek/ftell: works the same for pipes and MEMFS.
    std::vector<uint8_t> bytes;
    uint8_t chunk[1 << 16];
    for (;;) {
        size_t got = std::fread(chunk, 1, sizeof chunk, f.get());
        if (got > 0) {
            if (bytes.size() + got > max_bytes)
                throw IoError(path + ": file is larger than the " + std::to_string(max_bytes) +
                              "-byte limit for this format");
            bytes.insert(bytes.end(), chunk, chunk + got);
        }
        if (got < sizeof chunk) break;
    }
    if (std::ferror(f.get())) throw IoError(path + ": read error");
    return bytes;
}

void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    FilePtr f(std::fopen(path.c_str(), "wb"));
    if (!f) throw IoError(path + ": cannot open for writing (" + std::strerror(errno) + ")");
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
        throw IoError(path + ": write failed after opening (disk full?)");
    if (std::fclose(f.release()) != 0) throw IoError(path + ": write failed on close");
}

}  // namespace io
