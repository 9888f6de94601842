// Text corpus: UTF-8 -> ASCII normalisation, Jargon File cleanup, vocabulary, split, and the
// gzip reader (zlib) that reads the Debian corpus. The test named "[data]" reads the installed
// corpus (apt package jargon-text, via bash scripts/setup.sh) and fails loudly without it.
#include "io/text_corpus.h"
#include "io/file_bytes.h"
#include "io/gzip.h"
#include "gzip_fixture.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

namespace {

// gzip.compress(text, compresslevel=9, mtime=0) from CPython: a dynamic-Huffman block.
const std::vector<uint8_t> kGzipVector = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0x8e, 0xd7, 0x4e, 0xc3, 0x40,
    0x10, 0x45, 0xdf, 0xf9, 0x8a, 0x09, 0xbd, 0x98, 0xd0, 0x7b, 0x6f, 0x21, 0x84, 0x0e, 0xa6, 0xd7,
    0xc1, 0x1e, 0x7b, 0x07, 0x6f, 0x31, 0xbb, 0xb6, 0x83, 0x69, 0xdf, 0x0e, 0x8a, 0x40, 0xfc, 0x00,
    0x8f, 0xbc, 0xdd, 0x23, 0x5d, 0x1d, 0x1d, 0x5f, 0x10, 0x34, 0xd0, 0xc6, 0x46, 0x43, 0x8d, 0x25,
    0x01, 0x3b, 0x40, 0x08, 0x8c, 0x4a, 0x2d, 0x09, 0xd2, 0x8e, 0x0b, 0x6a, 0x11, 0xe9, 0x90, 0x73,
    0x05, 0x26, 0x02, 0x81, 0x41, 0x42, 0x16, 0x9c, 0x44, 0x1d, 0x03, 0x4b, 0x99, 0x2b, 0xd6, 0x98,
    0xf1, 0x17, 0x28, 0xd4, 0x25, 0xa0, 0x4b, 0x29, 0xc8, 0xdc, 0xcf, 0x93, 0x9d, 0x80, 0xcc, 0x62,
    0xc8, 0x19, 0x1b, 0xed, 0x41, 0x64, 0x64, 0x22, 0x8d, 0x25, 0x0f, 0x50, 0x87, 0x20, 0x72, 0x65,
    0x6c, 0x15, 0xea, 0x2d, 0xa3, 0xf3, 0xbe, 0xd5, 0xbf, 0x03, 0xa8, 0x20, 0x5b, 0x36, 0x05, 0x59,
    0xaa, 0xb4, 0xf9, 0xff, 0xa1, 0x7f, 0x1c, 0x0a, 0x95, 0xf6, 0x8e, 0xce, 0xae, 0xee, 0x9e, 0xde,
    0xbe, 0xfe, 0x01, 0x6f, 0xb0, 0x3a, 0x34, 0x3c, 0x32, 0x3a, 0x36, 0x3e, 0x31, 0x39, 0x35, 0x3d,
    0x33, 0x3b, 0x37, 0xbf, 0xb0, 0xb8, 0xb4, 0xbc, 0xb2, 0xba, 0xb6, 0xbe, 0x51, 0xdb, 0xac, 0x6f,
    0x35, 0xb6, 0x77, 0x76, 0xf7, 0xf6, 0x0f, 0x0e, 0x8f, 0x8e, 0xfd, 0x93, 0xd3, 0xb3, 0xf3, 0x8b,
    0xcb, 0xab, 0xeb, 0x9b, 0xdb, 0xbb, 0x7b, 0x7c, 0x08, 0x42, 0x8a, 0x62, 0xc1, 0x8f, 0x89, 0x54,
    0xda, 0xa4, 0x4f, 0xd6, 0x65, 0x79, 0xd1, 0x7c, 0x2e, 0x5f, 0x5e, 0xdf, 0xde, 0x3f, 0x3e, 0x01,
    0xde, 0x0d, 0x6f, 0xa8, 0x5a, 0x02, 0x00, 0x00,
};

std::string gzip_vector_text() {
    std::string text;
    for (int i = 0; i < 3; ++i)
        text += "The Jargon File is a comprehensive compendium of hacker slang illuminating many aspects "
                "of hackish tradition, folklore, and humor. Hackers, hackers, hackers everywhere!\n";
    for (int c = 32; c < 127; ++c) text.push_back(char(c));
    return text;
}

bool is_printable_or_newline(char c) { return c == '\n' || (c >= 0x20 && c < 0x7F); }

}  // namespace

TEST_CASE("corpus: normalize_text maps typography to ASCII") {
    CHECK(io::normalize_text("\xE2\x80\x9CHi\xE2\x80\x9D, \xE2\x80\x98you\xE2\x80\x99") == "\"Hi\", 'you'");
    CHECK(io::normalize_text("a\xE2\x80\x93" "b\xE2\x80\x94" "c\xE2\x80\xA6") == "a-b--c...");
    CHECK(io::normalize_text("x\r\ny\rz\n") == "x\ny\nz\n");
    CHECK(io::normalize_text("\tq") == "    q");
    CHECK(io::normalize_text("a\xC2\xA0" "b") == "a b");
    CHECK(io::normalize_text("caf\xC3\xA9 na\xC3\xAFve \xC3\x86on stra\xC3\x9F" "e") == "cafe naive AEon strasse");
    CHECK(io::normalize_text("\xC2\xA9 1991 Foo\xE2\x84\xA2") == "(c) 1991 Foo(TM)");
    CHECK(io::normalize_text("\xE2\x94\x8C\xE2\x94\x80\xE2\x94\x90\xE2\x94\x82\xE2\x95\x90") == "+-+|=");
    CHECK(io::normalize_text("/dev\xC2\xB7nuhl/") == "/dev-nuhl/");
    CHECK(io::normalize_text("\xEF\xBB\xBFstart") == "start");  // BOM dropped
    CHECK(io::normalize_text("bell\x07!") == "bell!");          // controls dropped
}

TEST_CASE("corpus: normalize_text turns invalid UTF-8 and other scripts into ?") {
    CHECK(io::normalize_text("a\xFF" "b") == "a?b");
    CHECK(io::normalize_text("\xC0\x80") == "??");           // overlong NUL
    CHECK(io::normalize_text("\xED\xA0\x80") == "???");      // UTF-16 surrogate
    CHECK(io::normalize_text("end\xE2\x80") == "end??");     // cut-off sequence
    CHECK(io::normalize_text("\xF0\x9F\x98\x80!") == "?!");  // emoji
    CHECK(io::normalize_text("\xCE\xB1\xCE\xB2") == "??");   // Greek
    // Any bytes at all give printable ASCII and newlines only.
    std::mt19937 rng(99);
    for (int trial = 0; trial < 200; ++trial) {
        std::string junk(size_t(rng() % 64), '\0');
        for (char& c : junk) c = char(rng());
        const std::string out = io::normalize_text(junk);
        CHECK(std::all_of(out.begin(), out.end(), is_printable_or_newline));
    }
}

TEST_CASE("corpus: clean_jargon_file drops tables of contents and the indent") {
    const std::string raw =
        "   Glossary\n\n   0\n\n   (TM)\n\n   /dev/null\n\n   /me\n\n   1TBS\n\n\n\n"
        "   :hack: n.\n\n"
        "   1. Originally, a quick job that produces what is needed,   \n"
        "   but not well.\n\n\n"
        "   Short line\n";
    CHECK(io::clean_jargon_file(raw) ==
          ":hack: n.\n\n1. Originally, a quick job that produces what is needed,\nbut not well.\n\nShort line\n");
}

TEST_CASE("corpus: vocabulary is the sorted character set, with a fallback") {
    io::Vocab vocab = io::build_vocab("hello world\n");
    CHECK(vocab.chars == "\n dehlorw");
    CHECK(vocab.size() == 9);
    CHECK(vocab.fallback_id == 1);  // space
    const std::vector<int> ids = vocab.encode("hello\n");
    CHECK(ids == std::vector<int>{4, 3, 5, 5, 6, 0});
    CHECK(vocab.decode(ids) == "hello\n");
    CHECK(vocab.encode("hez") == std::vector<int>{4, 3, 1});  // z is unknown -> space
    CHECK(vocab.decode(vocab.encode_user_text("\xE2\x80\x9Chello\xE2\x80\x9D \xF0\x9F\x98\x80")) == " hello   ");
    CHECK_THROWS_WITH_AS(vocab.decode({0, 9}), doctest::Contains("id 9 at position 1 is outside the vocabulary of 9"),
                         io::IoError);
    CHECK_THROWS_AS(io::build_vocab(""), io::IoError);
}

TEST_CASE("corpus: vocab_from_chars validates a stored vocabulary") {
    CHECK(io::vocab_from_chars("\nab", "meta").size() == 3);
    CHECK(io::vocab_from_chars("ab", "meta").fallback_id == 0);  // no space: first character
    CHECK_THROWS_WITH_AS(io::vocab_from_chars("ba", "char_rnn.safetensors"),
                         doctest::Contains("char_rnn.safetensors: vocabulary must be sorted and unique"), io::IoError);
    CHECK_THROWS_WITH_AS(io::vocab_from_chars("aa", "m"), doctest::Contains("sorted and unique"), io::IoError);
    CHECK_THROWS_WITH_AS(io::vocab_from_chars("a\x01", "m"), doctest::Contains("is byte 1"), io::IoError);
    CHECK_THROWS_WITH_AS(io::vocab_from_chars("", "m"), doctest::Contains("empty"), io::IoError);
}

TEST_CASE("corpus: split keeps the last 5% (from a line start) for validation") {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
    io::CorpusSplit split = io::split_corpus(text);
    CHECK(split.train + split.validation == text);
    CHECK(split.validation.size() <= text.size() / 20);
    CHECK(split.validation.size() > text.size() / 25);
    CHECK(split.train.back() == '\n');
    CHECK(split.validation.rfind("line 99\n") != std::string::npos);
    io::CorpusSplit again = io::split_corpus(text);
    CHECK(again.validation == split.validation);
    CHECK(io::split_corpus(text, 0.0).validation.empty());
    CHECK_THROWS_AS(io::split_corpus(text, 1.0), io::IoError);
    CHECK_THROWS_AS(io::split_corpus(text, -0.1), io::IoError);
}

TEST_CASE("corpus: gunzip decodes a dynamic-Huffman member and checks CRC and length") {
    CHECK(io::is_gzip(kGzipVector));
    const std::string expected = gzip_vector_text();
    std::vector<uint8_t> out = io::gunzip(kGzipVector, "vector.gz", 1 << 20);
    CHECK(std::string(out.begin(), out.end()) == expected);
    // Two members concatenate.
    std::vector<uint8_t> twice = kGzipVector;
    twice.insert(twice.end(), kGzipVector.begin(), kGzipVector.end());
    out = io::gunzip(twice, "twice.gz", 1 << 20);
    CHECK(std::string(out.begin(), out.end()) == expected + expected);

    std::vector<uint8_t> bad_crc = kGzipVector;
    bad_crc[bad_crc.size() - 8] ^= 0x01;
    CHECK_THROWS_WITH_AS(io::gunzip(bad_crc, "bad.gz", 1 << 20),
                         doctest::Contains("bad.gz: corrupt gzip file: incorrect data check"), io::IoError);
    std::vector<uint8_t> bad_length = kGzipVector;
    bad_length[bad_length.size() - 4] ^= 0x01;
    CHECK_THROWS_WITH_AS(io::gunzip(bad_length, "bad.gz", 1 << 20), doctest::Contains("incorrect length check"),
                         io::IoError);
    std::vector<uint8_t> trailing = kGzipVector;
    trailing.push_back('x');  // not a second member
    CHECK_THROWS_AS(io::gunzip(trailing, "trailing.gz", 1 << 20), io::IoError);
    CHECK_THROWS_WITH_AS(io::gunzip({}, "empty.gz", 1 << 20), doctest::Contains("data ends early"), io::IoError);
    CHECK_THROWS_WITH_AS(io::gunzip(kGzipVector, "big.gz", 100), doctest::Contains("limit of 100 bytes"), io::IoError);
}

TEST_CASE("corpus: gunzip round-trips zlib's deflate over several MiB and members, up to the exact limit") {
    // 2.5 MiB of text-like bytes: more than one of gunzip's 1 MiB pieces in and out.
    std::vector<uint8_t> data(size_t(5) << 19);
    uint32_t state = 12345;
    for (uint8_t& byte : data) {
        state = state * 1664525u + 1013904223u;
        byte = uint8_t('a' + (state >> 24) % 16);
    }
    for (int level : {1, 9}) {
        const std::vector<uint8_t> member = gzip_compress(data, level);
        CHECK(member.size() < data.size());
        std::vector<uint8_t> two = member;
        two.insert(two.end(), member.begin(), member.end());
        const std::vector<uint8_t> out = io::gunzip(two, "two.gz", 2 * data.size());
        REQUIRE(out.size() == 2 * data.size());
        CHECK(std::equal(data.begin(), data.end(), out.begin()));
        CHECK(std::equal(data.begin(), data.end(), out.begin() + ptrdiff_t(data.size())));
        CHECK_THROWS_WITH_AS(io::gunzip(two, "two.gz", 2 * data.size() - 1), doctest::Contains("limit of"),
                             io::IoError);
    }
    CHECK(io::gunzip(gzip_compress({}), "empty-member.gz", 0).empty());
}

TEST_CASE("corpus: truncated or corrupted gzip data fails cleanly") {
    for (size_t len = 0; len < kGzipVector.size(); ++len) {
        std::vector<uint8_t> cut(kGzipVector.begin(), kGzipVector.begin() + ptrdiff_t(len));
        CHECK_THROWS_AS(io::gunzip(cut, "cut.gz", 1 << 20), io::IoError);
    }
    std::mt19937 rng(5);
    int decoded = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<uint8_t> bad = kGzipVector;
        bad[10 + rng() % (bad.size() - 10)] ^= uint8_t(1 + rng() % 255);
        try {
            // Succeeds only when the flipped bits were unused padding after the last block;
            // then the CRC guarantees the output is still right.
            std::vector<uint8_t> out = io::gunzip(bad, "bad.gz", 1 << 20);
            CHECK(std::string(out.begin(), out.end()) == gzip_vector_text());
            ++decoded;
        } catch (const io::IoError&) {
        }
    }
    CHECK(decoded < 100);
}

TEST_CASE("corpus: load_corpus reads a gzipped file and applies the Jargon cleanup") {
    const std::string path = "genlab-test-tmp-corpus.gz";
    io::write_file_bytes(path, kGzipVector);
    io::TextCorpus plain = io::load_corpus(path, io::CorpusCleanup::None);
    io::TextCorpus cleaned = io::load_corpus(path);  // starts with "The Jargon File": cleaned
    std::remove(path.c_str());
    const std::string text = gzip_vector_text();
    CHECK(plain.raw_bytes == text.size());
    CHECK(plain.text == text);
    // Same text except the last line lost its leading space (the File's indent).
    CHECK(cleaned.text == text.substr(0, text.size() - 95) + text.substr(text.size() - 94) + "\n");
    CHECK_THROWS_WITH_AS(io::load_corpus("genlab-test-tmp-missing.txt"),
                         doctest::Contains("genlab-test-tmp-missing.txt: cannot open"), io::IoError);
}

TEST_CASE("corpus: [data] the Jargon File from jargon-text is >= 1 MB of clean ASCII") {
    // Needs `bash scripts/setup.sh` (apt package jargon-text); fails, not skips, without it.
    io::TextCorpus corpus = io::load_corpus(io::find_corpus_path());
    MESSAGE("corpus " << corpus.source << ": " << corpus.raw_bytes << " bytes UTF-8, " << corpus.text.size()
                      << " bytes after normalisation and cleanup");
    CHECK(corpus.raw_bytes == 1681817);
    CHECK(corpus.text.size() >= 1000000);
    CHECK(std::all_of(corpus.text.begin(), corpus.text.end(), is_printable_or_newline));
    CHECK(corpus.text.find("This is the Jargon File, a comprehensive compendium of hacker slang") != std::string::npos);
    CHECK(corpus.text.find(":hack attack: n.") != std::string::npos);
    CHECK(corpus.text.find("\nzorkmid\n") == std::string::npos);  // entry-name lists dropped
    io::Vocab vocab = io::build_vocab(corpus.text);
    MESSAGE("vocabulary: " << vocab.size() << " characters");
    CHECK(vocab.size() <= 96);
    io::CorpusSplit split = io::split_corpus(corpus.text);
    MESSAGE("train " << split.train.size() << " bytes, validation " << split.validation.size() << " bytes");
    CHECK(split.validation.size() > 50000);
}
