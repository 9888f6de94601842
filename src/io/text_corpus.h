// Text for the char-RNN: the corpus, its normalisation to printable ASCII, the character
// vocabulary and the train/validation split.
//
// Corpus: the Jargon File 4.4.7 (public domain), Debian package jargon-text, installed as
// /usr/share/doc/jargon-text/jargon.txt.gz (1,681,817 bytes of UTF-8 once unzipped).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace io {

// UTF-8 -> printable ASCII (0x20..0x7E) plus '\n'. Line endings \r\n and \r become \n, tab
// becomes 4 spaces, typographic characters their ASCII spelling (curly quotes -> ' and ",
// en dash -> -, em dash -> --, ellipsis -> ..., nbsp -> space, (c), (TM), box drawing ->
// - | + =, accented Latin-1 letters -> the base letter), other control characters are dropped,
// and anything else (invalid UTF-8, other scripts, symbols) becomes '?'. Never throws.
std::string normalize_text(const std::string& utf8);

// Jargon File cleanup on normalized text: drops the tables of contents (runs of >= 5
// consecutive one-line paragraphs of <= 40 characters that are not ":entry:" headings or
// "* " bullets: the entry-name lists before each letter), removes the document-wide 3-space indent and trailing spaces, and collapses blank
// runs to one blank line.
std::string clean_jargon_file(const std::string& text);

struct Vocab {
    std::string chars;                // sorted unique characters; id i <-> chars[i]
    int fallback_id = 0;              // id for characters not in `chars` (space if present)
    std::array<int16_t, 256> ids{};   // byte -> id, -1 when absent

    int size() const { return int(chars.size()); }
    int id_of(char c) const;  // fallback_id for characters outside the vocabulary
    // Ids for already-normalized text; never fails (unknown characters -> fallback_id).
    std::vector<int> encode(const std::string& text) const;
    // Arbitrary user text (any UTF-8): normalize_text, then encode.
    std::vector<int> encode_user_text(const std::string& utf8) const;
    // Throws IoError for an id outside [0, size()).
    std::string decode(const std::vector<int>& ids) const;
};

// The sorted set of characters in `text`. Throws IoError for empty text.
Vocab build_vocab(const std::string& text);
// Rebuilds a vocabulary stored as its character string (e.g. in safetensors metadata);
// checks it is non-empty, sorted, unique, printable ASCII or '\n'. `source` names it in errors.
Vocab vocab_from_chars(const std::string& chars, const std::string& source);

struct TextCorpus {
    std::string source;      // path it came from
    size_t raw_bytes = 0;    // bytes after gunzip, before normalisation
    std::string text;        // normalized (and cleaned) text
};

enum class CorpusCleanup { Auto, None, JargonFile };  // Auto: JargonFile if its title is at the top

constexpr const char* kJargonCorpusPath = "/usr/share/doc/jargon-text/jargon.txt.gz";

// $GENLAB_CORPUS if set, else kJargonCorpusPath; throws IoError saying what to install when
// the file is missing.
std::string find_corpus_path();
// Reads a UTF-8 text file (gunzipped if it starts with 1f 8b), normalizes and cleans it.
TextCorpus load_corpus(const std::string& path, CorpusCleanup cleanup = CorpusCleanup::Auto);

struct CorpusSplit {
    std::string train, validation;
};
// Deterministic: the last `validation_fraction` of the text (moved forward to the next line
// start) is validation, the rest train. Throws IoError unless 0 <= fraction < 1.
CorpusSplit split_corpus(const std::string& text, double validation_fraction = 0.05);

}  // namespace io
