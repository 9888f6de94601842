// A sanity check of an OpenType/TrueType font file (the "sfnt" container) before the bytes go
// to a font rasteriser: stb_truetype (inside Dear ImGui) trusts the table directory and reads
// wherever it points, so a truncated download or an HTML error page served as a font would
// make it read past the buffer. Checks the container only, not every glyph.
//
// Layout (OpenType spec, "Organization of an OpenType Font"): a 12-byte header
//   u32 sfntVersion (0x00010000 or 'true' = TrueType outlines, 'OTTO' = CFF outlines),
//   u16 numTables, 6 bytes of search hints,
// then numTables 16-byte records: tag[4], u32 checksum, u32 offset, u32 length (big-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace io {

// "" when the file looks usable; otherwise what is wrong, starting with `source`:
//   "fonts/inter-ui.otf: table 'cmap' ends at byte 30211, past the end of the 12288-byte file
//    (a truncated download?)"
// Requires a single font (not a .ttc collection) with cmap, head (with its magic number),
// hhea, hmtx, maxp, and glyf + loca or CFF outlines, every table inside the file.
std::string sfnt_problem(const uint8_t* data, size_t size, const std::string& source);

}  // namespace io
