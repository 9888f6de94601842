#include "io/text_corpus.h"

#include "io/file_bytes.h"
#include "io/gzip.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace io {

namespace {

constexpr size_t kMaxCorpusBytes = size_t(64) << 20;

// Decodes one UTF-8 sequence at text[pos]; advances pos. Invalid or overlong sequences,
// surrogates and values above U+10FFFF yield U+FFFD and consume one byte.
uint32_t next_code_point(const std::string& text, size_t& pos) {
    const auto byte = [&](size_t i) { return uint8_t(text[i]); };
    const uint8_t b0 = byte(pos);
    if (b0 < 0x80) {
        ++pos;
        return b0;
    }
    int extra;
    uint32_t cp, min;
    if ((b0 & 0xE0) == 0xC0) { extra = 1; cp = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { extra = 2; cp = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { extra = 3; cp = b0 & 0x07; min = 0x10000; }
    else { ++pos; return 0xFFFD; }
    if (pos + size_t(extra) >= text.size()) {  // sequence cut off at the end
        ++pos;
        return 0xFFFD;
    }
    for (int i = 1; i <= extra; ++i) {
        const uint8_t b = byte(pos + size_t(i));
        if ((b & 0xC0) != 0x80) {
            ++pos;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++pos;
        return 0xFFFD;
    }
    pos += size_t(extra) + 1;
    return cp;
}

// ASCII spellings of U+00A0..U+00FF (Latin-1 supplement).
const char* const kLatin1[96] = {
    " ",  "!",   "c",   "L",   "",    "Y",   "|",   "S",   "\"",  "(c)", "a",   "\"",  "!",   "",    "(R)", "-",
    "o",  "+/-", "2",   "3",   "'",   "u",   "P",   "-",   ",",   "1",   "o",   "\"",  "1/4", "1/2", "3/4", "?",
    "A",  "A",   "A",   "A",   "A",   "A",   "AE",  "C",   "E",   "E",   "E",   "E",   "I",   "I",   "I",   "I",
    "D",  "N",   "O",   "O",   "O",   "O",   "O",   "x",   "O",   "U",   "U",   "U",   "U",   "Y",   "Th",  "ss",
    "a",  "a",   "a",   "a",   "a",   "a",   "ae",  "c",   "e",   "e",   "e",   "e",   "i",   "i",   "i",   "i",
    "d",  "n",   "o",   "o",   "o",   "o",   "o",   "/",   "o",   "u",   "u",   "u",   "u",   "y",   "th",  "y",
};

// ASCII spelling of a non-ASCII code point; "?" when there is no sensible one.
const char* ascii_spelling(uint32_t cp) {
    if (cp >= 0xA0 && cp <= 0xFF) return kLatin1[cp - 0xA0];
    if (cp >= 0x80 && cp < 0xA0) return "";  // C1 controls
    if ((cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000) return " ";
    if ((cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF || cp == 0x2060) return "";  // zero width, BOM
    switch (cp) {
        case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x2039: case 0x203A: return "'";
        case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: return "\"";
        case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212: return "-";
        case 0x2014: case 0x2015: return "--";
        case 0x2026: return "...";
        case 0x2022: case 0x2023: case 0x2043: return "*";
        case 0x2122: return "(TM)";
        case 0x2190: return "<-";
        case 0x2192: return "->";
        case 0x2194: case 0x21D4: return "<=>";
        case 0x21D2: return "=>";
        case 0x223C: case 0x02DC: return "~";
        case 0x2260: return "!=";
        case 0x2264: return "<=";
        case 0x2265: return ">=";
        case 0x2329: case 0x27E8: case 0x3008: return "<";
        case 0x232A: case 0x27E9: case 0x3009: return ">";
        case 0x02C6: return "^";
        case 0x0152: return "OE";
        case 0x0153: return "oe";
        default: break;
    }
    if (cp >= 0x2500 && cp <= 0x257F) {  // box drawing
        switch (cp) {
            case 0x2550: return "=";
            case 0x2500: case 0x2501: case 0x2504: case 0x2505: case 0x2508: case 0x2509:
            case 0x254C: case 0x254D: return "-";
            case 0x2502: case 0x2503: case 0x2506: case 0x2507: case 0x250A: case 0x250B:
            case 0x254E: case 0x254F: case 0x2551: return "|";
            default: return "+";
        }
    }
    return "?";
}

}  // namespace

std::string normalize_text(const std::string& utf8) {
    std::string out;
    out.reserve(utf8.size());
    size_t pos = 0;
    while (pos < utf8.size()) {
        const uint32_t cp = next_code_point(utf8, pos);
        if (cp >= 0x20 && cp < 0x7F) {
            out.push_back(char(cp));
        } else if (cp == '\n' || cp == '\f' || cp == '\v' || cp == 0x2028 || cp == 0x2029) {
            out.push_back('\n');
        } else if (cp == '\r') {
            out.push_back('\n');
            if (pos < utf8.size() && utf8[pos] == '\n') ++pos;
        } else if (cp == '\t') {
            out += "    ";
        } else if (cp >= 0x80) {
            out += ascii_spelling(cp);
        }  // other C0 controls and DEL are dropped
    }
    return out;
}

std::string clean_jargon_file(const std::string& text) {
    // Paragraphs: runs of non-blank lines, trailing spaces removed.
    std::vector<std::vector<std::string>> paragraphs;
    std::vector<std::string> current;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        line.erase(line.find_last_not_of(' ') + 1);  // npos + 1 == 0 clears an all-space line
        if (line.empty()) {
            if (!current.empty()) paragraphs.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(std::move(line));
        }
        start = end + 1;
    }
    if (!current.empty()) paragraphs.push_back(std::move(current));

    // A table-of-contents line: one short line that is neither an entry heading (":hack: n.")
    // nor a bullet ("* Linux -> Linsux", real content).
    auto is_list_item = [](const std::vector<std::string>& p) {
        if (p.size() != 1) return false;
        const size_t indent = p[0].find_first_not_of(' ');  // lines here are never all spaces
        return p[0].size() - indent <= 40 && p[0][indent] != ':' && p[0].compare(indent, 2, "* ") != 0;
    };
    std::string out;
    for (size_t i = 0; i < paragraphs.size();) {
        size_t j = i;
        while (j < paragraphs.size() && is_list_item(paragraphs[j])) ++j;
        if (j - i >= 5) {  // a table of contents
            i = j;
            continue;
        }
        if (!out.empty()) out += '\n';
        for (const std::string& line : paragraphs[i]) {
            size_t indent = 0;
            while (indent < 3 && indent < line.size() && line[indent] == ' ') ++indent;
            out.append(line, indent, std::string::npos);
            out += '\n';
        }
        ++i;
    }
    return out;
}

int Vocab::id_of(char c) const {
    const int id = ids[uint8_t(c)];
    return id >= 0 ? id : fallback_id;
}

std::vector<int> Vocab::encode(const std::string& text) const {
    std::vector<int> out(text.size());
    for (size_t i = 0; i < text.size(); ++i) out[i] = id_of(text[i]);
    return out;
}

std::vector<int> Vocab::encode_user_text(const std::string& utf8) const { return encode(normalize_text(utf8)); }

std::string Vocab::decode(const std::vector<int>& id_list) const {
    std::string out(id_list.size(), ' ');
    for (size_t i = 0; i < id_list.size(); ++i) {
        if (id_list[i] < 0 || id_list[i] >= size())
            throw IoError("Vocab::decode: id " + std::to_string(id_list[i]) + " at position " + std::to_string(i) +
                          " is outside the vocabulary of " + std::to_string(size()) + " characters");
        out[i] = chars[size_t(id_list[i])];
    }
    return out;
}

Vocab vocab_from_chars(const std::string& chars, const std::string& source) {
    if (chars.empty()) throw IoError(source + ": vocabulary is empty");
    for (size_t i = 0; i < chars.size(); ++i) {
        const uint8_t c = uint8_t(chars[i]);
        if (!(c == '\n' || (c >= 0x20 && c < 0x7F)))
            throw IoError(source + ": vocabulary character " + std::to_string(i) + " is byte " +
                          std::to_string(c) + ", expected printable ASCII or newline");
        if (i > 0 && uint8_t(chars[i - 1]) >= c)
            throw IoError(source + ": vocabulary must be sorted and unique; character " + std::to_string(i) +
                          " breaks the order");
    }
    Vocab v;
    v.chars = chars;
    v.ids.fill(-1);
    for (size_t i = 0; i < chars.size(); ++i) v.ids[uint8_t(chars[i])] = int16_t(i);
    v.fallback_id = v.ids[uint8_t(' ')] >= 0 ? v.ids[uint8_t(' ')] : 0;
    return v;
}

Vocab build_vocab(const std::string& text) {
    if (text.empty()) throw IoError("build_vocab: text is empty");
    std::array<bool, 256> seen{};
    for (char c : text) seen[uint8_t(c)] = true;
    std::string chars;
    for (int c = 0; c < 256; ++c)
        if (seen[size_t(c)]) chars.push_back(char(c));
    return vocab_from_chars(chars, "build_vocab (normalize_text the corpus first)");
}

std::string find_corpus_path() {
    if (const char* env = std::getenv("GENLAB_CORPUS"); env && *env) return env;
    if (std::FILE* f = std::fopen(kJargonCorpusPath, "rb")) {
        std::fclose(f);
        return kJargonCorpusPath;
    }
    throw IoError(std::string("text corpus not found at ") + kJargonCorpusPath +
                  "; run `bash scripts/setup.sh` (or `apt-get install jargon-text`), or set GENLAB_CORPUS "
                  "to a UTF-8 text file");
}

TextCorpus load_corpus(const std::string& path, CorpusCleanup cleanup) {
    std::vector<uint8_t> bytes = read_file_bytes(path, kMaxCorpusBytes);
    if (is_gzip(bytes)) bytes = gunzip(bytes, path, kMaxCorpusBytes);
    TextCorpus corpus;
    corpus.source = path;
    corpus.raw_bytes = bytes.size();
    corpus.text = normalize_text(std::string(bytes.begin(), bytes.end()));
    if (cleanup == CorpusCleanup::Auto)
        cleanup = corpus.text.substr(0, 200).find("The Jargon File") != std::string::npos ? CorpusCleanup::JargonFile
                                                                                       : CorpusCleanup::None;
    if (cleanup == CorpusCleanup::JargonFile) corpus.text = clean_jargon_file(corpus.text);
    if (corpus.text.empty()) throw IoError(path + ": no text left after normalisation (is it a UTF-8 text file?)");
    return corpus;
}

CorpusSplit split_corpus(const std::string& text, double validation_fraction) {
    if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
        throw IoError("split_corpus: validation fraction " + std::to_string(validation_fraction) +
                      " must be in [0, 1)");
    size_t cut = text.size() - size_t(double(text.size()) * validation_fraction);
    if (cut > 0 && cut < text.size() && text[cut - 1] != '\n') {
        const size_t newline = text.find('\n', cut);
        if (newline != std::string::npos) cut = newline + 1;
    }
    return {text.substr(0, cut), text.substr(cut)};
}

}  // namespace io
