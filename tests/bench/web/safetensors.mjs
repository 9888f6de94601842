// Minimal safetensors reader for the bench page (F32 / F16 / BF16 -> Float32Array), so the
// tfjs models are built from the very files GenLab loads.
export function parseSafetensors(buffer) {
  const view = new DataView(buffer);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  const dataStart = 8 + headerLength;
  const tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    const bytes = new Uint8Array(buffer.slice(dataStart + begin, dataStart + end));
    let data;
    if (info.dtype === 'F32') {
      data = new Float32Array(bytes.buffer);
    } else if (info.dtype === 'F16' || info.dtype === 'BF16') {
      const half = new Uint16Array(bytes.buffer);
      data = new Float32Array(half.length);
      for (let i = 0; i < half.length; i++) data[i] = info.dtype === 'F16' ? halfToFloat(half[i]) : bf16ToFloat(half[i]);
    } else {
      throw new Error(`${name}: dtype ${info.dtype} is not a float type`);
    }
    tensors[name] = { shape: info.shape, data };
  }
  return { metadata: header.__metadata__ || {}, tensors };
}

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
function bf16ToFloat(b) { u32[0] = b << 16; return f32[0]; }

// The vocabulary of a char-RNN file: "vocab_hex" (two hex digits per character).
export function vocabOf(metadata) {
  const hex = metadata.vocab_hex;
  const chars = [];
  for (let i = 0; i < hex.length; i += 2) chars.push(String.fromCharCode(parseInt(hex.slice(i, i + 2), 16)));
  const ids = new Map(chars.map((c, i) => [c, i]));
  const fallback = ids.has(' ') ? ids.get(' ') : 0;
  return { chars, encode: (text) => Array.from(text, (c) => (ids.has(c) ? ids.get(c) : fallback)) };
}
