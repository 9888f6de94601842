"""Text for the char-RNN, as src/io/text_corpus.h: UTF-8 -> printable ASCII + '\\n', and the
character vocabulary (sorted unique characters; unknown characters map to the space)."""
import gzip

# ASCII spellings of U+00A0..U+00FF, as GenLab's table.
_LATIN1 = (" |!|c|L||Y|||S|\"|(c)|a|\"|!||(R)|-|o|+/-|2|3|'|u|P|-|,|1|o|\"|1/4|1/2|3/4|?|"
           "A|A|A|A|A|A|AE|C|E|E|E|E|I|I|I|I|D|N|O|O|O|O|O|x|O|U|U|U|U|Y|Th|ss|"
           "a|a|a|a|a|a|ae|c|e|e|e|e|i|i|i|i|d|n|o|o|o|o|o|/|o|u|u|u|u|y|th|y").split("|")
_SPELLINGS = {**{c: "'" for c in (0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x2039, 0x203A)},
              **{c: '"' for c in (0x201C, 0x201D, 0x201E, 0x201F, 0x2033)},
              **{c: "-" for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2212)},
              0x2014: "--", 0x2015: "--", 0x2026: "...", 0x2022: "*", 0x2023: "*", 0x2043: "*",
              0x2122: "(TM)", 0x2190: "<-", 0x2192: "->", 0x2194: "<=>", 0x21D4: "<=>",
              0x21D2: "=>", 0x223C: "~", 0x02DC: "~", 0x2260: "!=", 0x2264: "<=", 0x2265: ">=",
              0x2329: "<", 0x27E8: "<", 0x3008: "<", 0x232A: ">", 0x27E9: ">", 0x3009: ">",
              0x02C6: "^", 0x0152: "OE", 0x0153: "oe"}


def _spelling(cp):
    if 0xA0 <= cp <= 0xFF:
        return _LATIN1[cp - 0xA0]
    if cp < 0xA0 or 0x200B <= cp <= 0x200F or cp in (0xFEFF, 0x2060):
        return ""  # C1 controls, zero-width characters
    if 0x2000 <= cp <= 0x200A or cp in (0x202F, 0x205F, 0x3000):
        return " "
    if 0x2500 <= cp <= 0x257F:  # box drawing
        if cp == 0x2550:
            return "="
        if cp in (0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D):
            return "-"
        if cp in (0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551):
            return "|"
        return "+"
    return _SPELLINGS.get(cp, "?")


def normalize_text(text):
    """GenLab's io::normalize_text (invalid UTF-8 is replaced as Python decodes it)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text.replace("\r\n", "\n")
    out = []
    for ch in text:
        cp = ord(ch)
        if 0x20 <= cp < 0x7F:
            out.append(ch)
        elif ch in "\n\r\f\v\u2028\u2029":
            out.append("\n")
        elif ch == "\t":
            out.append("    ")
        elif cp >= 0x80:
            out.append(_spelling(cp))
    return "".join(out)


def read_text(path):
    """A UTF-8 text file (gunzipped if it starts with 1f 8b), normalized."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return normalize_text(data)


class Vocab:
    def __init__(self, chars, source="vocabulary"):
        if not chars:
            raise ValueError(f"{source}: vocabulary is empty")
        for i, c in enumerate(chars):
            if not (c == "\n" or " " <= c <= "~") or (i and chars[i - 1] >= c):
                raise ValueError(f"{source}: vocabulary must be sorted, unique printable ASCII or "
                                 f"newline; character {i} ({c!r}) is not")
        self.chars = chars
        self.ids = {c: i for i, c in enumerate(chars)}
        self.fallback_id = self.ids.get(" ", 0)

    @classmethod
    def of_text(cls, text):
        return cls("".join(sorted(set(text))), "the training text")

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """Already-normalized text -> ids (unknown characters -> the space)."""
        return [self.ids.get(c, self.fallback_id) for c in text]

    def encode_user_text(self, text):
        return self.encode(normalize_text(text))

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)
