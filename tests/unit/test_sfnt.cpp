// io::sfnt_problem on fonts the test builds itself (every rejection path), and on the two fonts
// setup.sh subsets into build/fonts (name contains "[fonts]": needs bash scripts/setup.sh and
// fails loudly without it).
#include "io/file_bytes.h"
#include "io/sfnt.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

#define CHECK_HAS(message, word) \
    CHECK_MESSAGE((message).find(word) != std::string::npos, "message: " << (message) << "\nlacks: " << (word))

void append_u16_be(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(uint8_t(v >> 8));
    out.push_back(uint8_t(v));
}

// A font container with the given tables, each 16 bytes of zeros except head's magic number.
std::vector<uint8_t> make_font(const std::vector<std::string>& tags, const char* version = "\x00\x01\x00\x00") {
    std::vector<uint8_t> out(version, version + 4);
    append_u16_be(out, uint16_t(tags.size()));
    out.resize(12, 0);
    const uint32_t data_start = uint32_t(12 + 16 * tags.size());
    for (size_t i = 0; i < tags.size(); ++i) {
        out.insert(out.end(), tags[i].begin(), tags[i].end());
        io::append_u32_be(out, 0);  // checksum (not checked)
        io::append_u32_be(out, data_start + uint32_t(16 * i));
        io::append_u32_be(out, 16);
    }
    for (const std::string& tag : tags) {
        std::vector<uint8_t> table(16, 0);
        if (tag == "head") table = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x5F, 0x0F, 0x3C, 0xF5};
        out.insert(out.end(), table.begin(), table.end());
    }
    return out;
}

const std::vector<std::string> kTrueType = {"cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp"};

std::string problem(const std::vector<uint8_t>& bytes) { return io::sfnt_problem(bytes.data(), bytes.size(), "t.ttf"); }

}  // namespace

TEST_CASE("sfnt: well-formed TrueType and CFF containers pass") {
    CHECK(problem(make_font(kTrueType)) == "");
    CHECK(problem(make_font({"CFF ", "cmap", "head", "hhea", "hmtx", "maxp"}, "OTTO")) == "");
}

TEST_CASE("sfnt: each malformed container is named") {
    CHECK_HAS(problem({}), "too short");
    CHECK_HAS(io::sfnt_problem(nullptr, 0, "x.otf"), "x.otf");
    const std::string html = "<!doctype html><html>404 Not Found</html>";
    CHECK_HAS(problem(std::vector<uint8_t>(html.begin(), html.end())), "not an OpenType/TrueType font");
    CHECK_HAS(problem(make_font(kTrueType, "ttcf")), "collection");
    CHECK_HAS(problem(make_font({})), "empty");

    std::vector<uint8_t> font = make_font(kTrueType);
    // Cut inside the directory, and inside the last table.
    CHECK_HAS(problem(std::vector<uint8_t>(font.begin(), font.begin() + 40)), "table directory");
    const std::string cut = problem(std::vector<uint8_t>(font.begin(), font.end() - 1));
    CHECK_HAS(cut, "table 'maxp' ends at byte");
    CHECK_HAS(cut, "truncated");

    // An offset near 2^32: offset + length must not wrap around.
    font = make_font(kTrueType);
    const size_t first_offset = 12 + 8;
    font[first_offset] = font[first_offset + 1] = font[first_offset + 2] = font[first_offset + 3] = 0xFF;
    CHECK_HAS(problem(font), "table 'cmap' ends at byte 4294967311");

    CHECK_HAS(problem(make_font({"glyf", "head", "hhea", "hmtx", "loca", "maxp"})), "no 'cmap' table");
    CHECK_HAS(problem(make_font({"cmap", "head", "hhea", "hmtx", "maxp"})), "no glyph outlines");

    font = make_font(kTrueType);
    const size_t head_data = 12 + 16 * kTrueType.size() + 16 * 2;  // "head" is the third table
    font[head_data + 12] = 0;
    CHECK_HAS(problem(font), "magic number");
}

TEST_CASE("sfnt: the site's subset fonts pass, and their truncations fail [fonts]") {
    for (const char* name : {"inter-ui.otf", "dejavu-sans-mono.ttf"}) {
        const std::string path = std::string(GENLAB_SOURCE_DIR) + "/build/fonts/" + name;
        std::vector<uint8_t> bytes;
        try {
            bytes = io::read_file_bytes(path);
        } catch (const io::IoError& e) {
            FAIL(e.what() << " (bash scripts/setup.sh makes it)");
        }
        INFO(path);
        CHECK(io::sfnt_problem(bytes.data(), bytes.size(), path) == "");
        CHECK_HAS(io::sfnt_problem(bytes.data(), bytes.size() / 2, path), "truncated");
    }
}
