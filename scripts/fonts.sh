#!/usr/bin/env bash
# scripts/fonts.sh OUT_DIR: the app's two fonts from Debian packages, subset to the glyphs the UI
# draws (never committed; setup.sh copies OUT_DIR into build/site/fonts/):
#   inter-ui.otf          Inter Regular (fonts-inter): every label, button and plot tick
#   dejavu-sans-mono.ttf  DejaVu Sans Mono (fonts-dejavu-core): the generated text (Text panel,
#                         the Train panel's char-RNN sample)
# The code points must match the glyph ranges src/app/fonts.cpp asks ImGui for (kUiRanges,
# kMonoRanges): a code point missing here is drawn as '?'. Subsetting with fontTools
# (python3-fonttools) keeps ~10% of each file. Skips the work when the recipe is unchanged.
set -euo pipefail
out=${1:?usage: scripts/fonts.sh OUT_DIR}
INTER=/usr/share/fonts/opentype/inter/Inter-Regular.otf
MONO=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
# ASCII, Latin-1 (x, degree, middle dot...), Greek (theta, sigma, mu...), dashes, quotes and the
# ellipsis, arrows, minus, <= and >=.
UI_CODES="U+0020-007E,U+00A0-00FF,U+0391-03A9,U+03B1-03C9,U+2010-2027,U+2190-2193,U+2212,U+2264-2265"
# Generated text is ASCII (io::normalize_text spells everything else in ASCII).
MONO_CODES="U+0020-007E"
# Debian's fontTools is /usr/bin/python3's; a pyenv or venv python3 first on PATH lacks it.
PYTHON=/usr/bin/python3
recipe="fonts-v1 $(sha256sum "$INTER" "$MONO" | cut -c1-16 | tr '\n' ' ')$UI_CODES $MONO_CODES"

for f in "$INTER" "$MONO"; do
    [ -s "$f" ] || { echo "fonts: $f is missing: apt-get install fonts-inter fonts-dejavu-core" >&2; exit 1; }
done
"$PYTHON" -c 'import fontTools.subset' 2>/dev/null ||
    { echo "fonts: $PYTHON has no fontTools: apt-get install python3-fonttools" >&2; exit 1; }
if [ "$(cat "$out/recipe" 2>/dev/null)" = "$recipe" ] && [ -s "$out/inter-ui.otf" ] &&
   [ -s "$out/dejavu-sans-mono.ttf" ]; then
    exit 0
fi
mkdir -p "$out"
# No hinting (stb_truetype ignores it) and no layout tables (ImGui 1.86 does no shaping or
# kerning): both only add bytes.
subset() {
    "$PYTHON" -m fontTools.subset "$1" --unicodes="$2" --output-file="$3" \
        --layout-features='' --no-hinting --desubroutinize --drop-tables+=FFTM,DSIG
}
subset "$INTER" "$UI_CODES" "$out/inter-ui.otf"
subset "$MONO" "$MONO_CODES" "$out/dejavu-sans-mono.ttf"
echo "$recipe" > "$out/recipe"
for f in "$out/inter-ui.otf" "$out/dejavu-sans-mono.ttf"; do
    echo "fonts: $(basename "$f"): $(stat -c %s "$f") bytes, $(gzip -9c "$f" | wc -c) gzip -9"
done
