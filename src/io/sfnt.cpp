#include "io/sfnt.h"

#include "io/file_bytes.h"

#include <cstring>
#include <map>

namespace io {

namespace {

uint16_t load_u16_be(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }

struct TableSpan {
    uint32_t offset = 0, length = 0;
};

}  // namespace

std::string sfnt_problem(const uint8_t* data, size_t size, const std::string& source) {
    constexpr size_t kHeaderBytes = 12, kRecordBytes = 16;
    if (!data || size < kHeaderBytes)
        return source + ": " + std::to_string(size) + " bytes, too short for a font file (an empty or failed download?)";
    const uint32_t version = load_u32_be(data);
    if (version != 0x00010000u && std::memcmp(data, "OTTO", 4) != 0 && std::memcmp(data, "true", 4) != 0) {
        if (std::memcmp(data, "ttcf", 4) == 0)
            return source + ": a font collection (.ttc); expected a single .ttf or .otf font";
        return source + ": not an OpenType/TrueType font (its first bytes are not 00 01 00 00, 'OTTO' or "
                        "'true'; an HTML error page served in its place?)";
    }
    const size_t tables = load_u16_be(data + 4);
    if (tables == 0) return source + ": the font's table directory is empty";
    if (kHeaderBytes + kRecordBytes * tables > size)
        return source + ": the table directory (" + std::to_string(tables) + " tables) runs past the end of the " +
               std::to_string(size) + "-byte file (a truncated download?)";
    std::map<std::string, TableSpan> found;
    for (size_t i = 0; i < tables; ++i) {
        const uint8_t* record = data + kHeaderBytes + kRecordBytes * i;
        const std::string tag(reinterpret_cast<const char*>(record), 4);
        const TableSpan span{load_u32_be(record + 8), load_u32_be(record + 12)};
        const uint64_t end = uint64_t(span.offset) + span.length;  // no u32 wrap-around
        if (end > size)
            return source + ": table '" + tag + "' ends at byte " + std::to_string(end) + ", past the end of the " +
                   std::to_string(size) + "-byte file (a truncated download?)";
        found[tag] = span;
    }
    for (const char* tag : {"cmap", "head", "hhea", "hmtx", "maxp"})
        if (!found.count(tag)) return source + ": the font has no '" + std::string(tag) + "' table";
    const bool truetype_outlines = found.count("glyf") && found.count("loca");
    if (!truetype_outlines && !found.count("CFF "))
        return source + ": the font has no glyph outlines (neither 'glyf' + 'loca' nor 'CFF ' tables)";
    // head: u16 major, u16 minor, Fixed fontRevision, u32 checksumAdjustment, u32 magicNumber.
    const TableSpan head = found["head"];
    if (head.length < 16 || load_u32_be(data + head.offset + 12) != 0x5F0F3CF5u)
        return source + ": the font's 'head' table has no magic number 0x5F0F3CF5 (a damaged file?)";
    return "";
}

}  // namespace io
