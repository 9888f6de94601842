// GenLab's bench module (build/wasm/genlab_bench_web.{mjs,wasm}) behind plain JS calls.
import createGenlabBench from './genlab_bench_web.mjs';

export async function loadGenlab() {
  const M = await createGenlabBench();
  const check = (rc, what) => {
    if (rc !== 0) throw new Error(`GenLab ${what}: ${M.UTF8ToString(M._bench_error())}`);
  };
  const setInput = (values) => {
    const ptr = M._bench_input(values.length);
    M.HEAPF32.set(values, ptr / 4);
  };
  const output = (n) => {
    const ptr = M._bench_output();
    return M.HEAPF32.slice(ptr / 4, ptr / 4 + (n ?? M._bench_output_size()));
  };
  return {
    load(which, bytes) {  // which: 0 GAN, 1 VAE, 2 char-RNN
      const ptr = M._bench_bytes(bytes.length);
      M.HEAPU8.set(bytes, ptr);
      check(M._bench_load(which), 'load');
    },
    setInput, output, check,
    ganSet: (z, batch) => { setInput(z); check(M._bench_gan_set(batch), 'gan_set'); },
    ganGenerate: () => check(M._bench_gan_generate(), 'gan_generate'),
    vaeDecodeSet: (z, batch) => { setInput(z); check(M._bench_vae_decode_set(batch), 'vae_decode_set'); },
    vaeDecode: () => check(M._bench_vae_decode(), 'vae_decode'),
    vaeEncodeSet: (x, batch) => { setInput(x); check(M._bench_vae_encode_set(batch), 'vae_encode_set'); },
    vaeEncode: () => check(M._bench_vae_encode(), 'vae_encode'),
    rnnSet: (ids) => { setInput(Float32Array.from(ids)); check(M._bench_rnn_set(ids.length), 'rnn_set'); },
    rnnRun: () => check(M._bench_rnn_run(), 'rnn_run'),
    vaeTrainInit: (x, batch) => { setInput(x); check(M._bench_vae_train_init(batch), 'vae_train_init'); },
    vaeTrainStep: () => M._bench_vae_train_step(),
    vaeTrainEps: () => { check(M._bench_vae_train_eps(), 'eps'); return output(); },
    ganTrainInit: (x, batch) => { setInput(x); check(M._bench_gan_train_init(batch), 'gan_train_init'); },
    ganTrainStep: () => M._bench_gan_train_step(),
    ganTrainGLoss: () => M._bench_gan_train_g_loss(),
    ganTrainZ: () => { check(M._bench_gan_train_z(), 'z'); return output(); },
    ganDiscriminator: () => { check(M._bench_gan_discriminator(), 'discriminator'); return output(); },
    rnnTrainInit: (codes, T, B) => { setInput(codes); check(M._bench_rnn_train_init(codes.length, T, B), 'rnn_train_init'); },
    rnnTrainStep: () => M._bench_rnn_train_step(),
    rnnTrainBatch: () => { check(M._bench_rnn_train_batch(), 'rnn batch'); return output(); },
  };
}
