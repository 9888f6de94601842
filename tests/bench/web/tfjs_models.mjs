// GenLab's models written with TensorFlow.js ops (global `tf`), weights taken from the same
// safetensors files (PyTorch layouts, converted once here). Used for the tfjs-wasm and
// tfjs-cpu rows of the bench; every graph mirrors src/models/*.cpp so outputs can be compared.
//   images NHWC inside tfjs; inputs/outputs flat [B, 784] in PyTorch (C, H, W) order (C = 1).
const T = (t) => tf.tensor(t.data, t.shape);
// PyTorch Conv2d [O, C, kh, kw] or ConvTranspose2d [C, O, kh, kw] -> tfjs [kh, kw, in, out] /
// [kh, kw, out, in]: the same permutation for both.
const convFilter = (t) => tf.tidy(() => tf.transpose(T(t), [2, 3, 1, 0]));
const linear = (x, w, b) => tf.add(tf.matMul(x, w, false, true), b);

// ---------------------------------------------------------------------------------------------
// GAN generator (eval: BatchNorm folded into scale/shift from the running statistics).
export function ganGenerator(st, { variables = false } = {}) {
  const p = st.tensors, v = variables ? (x, name) => tf.variable(x, true, name) : (x) => x;
  const C = p['generator.bn0.weight'].shape[0];
  const g = {
    C,
    fcW: v(T(p['generator.fc.weight']), 'g_fcW'), fcB: v(T(p['generator.fc.bias']), 'g_fcB'),
    d1W: v(convFilter(p['generator.deconv1.weight']), 'g_d1W'), d1B: v(T(p['generator.deconv1.bias']), 'g_d1B'),
    d2W: v(convFilter(p['generator.deconv2.weight']), 'g_d2W'), d2B: v(T(p['generator.deconv2.bias']), 'g_d2B'),
    bn: [0, 1].map((i) => ({
      gamma: v(T(p[`generator.bn${i}.weight`]), `g_bn${i}g`), beta: v(T(p[`generator.bn${i}.bias`]), `g_bn${i}b`),
      mean: T(p[`generator.bn${i}.running_mean`]), variance: T(p[`generator.bn${i}.running_var`]),
    })),
  };
  g.trainable = variables ? [g.fcW, g.fcB, g.d1W, g.d1B, g.d2W, g.d2B, ...g.bn.flatMap((b) => [b.gamma, b.beta])] : [];
  return g;
}

function batchnorm(x, bn, training) {
  if (training) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, 1e-5);
  }
  return tf.batchNorm(x, bn.mean, bn.variance, bn.beta, bn.gamma, 1e-5);
}

// z [B, L] -> tanh output [B, 784] in [-1, 1].
export function ganForward(g, z, training = false) {
  const B = z.shape[0], C = g.C;
  let x = linear(z, g.fcW, g.fcB);
  x = tf.transpose(tf.reshape(x, [B, C, 7, 7]), [0, 2, 3, 1]);
  x = tf.relu(batchnorm(x, g.bn[0], training));
  x = tf.add(tf.conv2dTranspose(x, g.d1W, [B, 14, 14, C / 2], 2, 'same'), g.d1B);
  x = tf.relu(batchnorm(x, g.bn[1], training));
  x = tf.add(tf.conv2dTranspose(x, g.d2W, [B, 28, 28, 1], 2, 'same'), g.d2B);
  return tf.reshape(tf.tanh(x), [B, 784]);
}

export function ganGenerate(g, z) {
  return tf.tidy(() => tf.mul(tf.add(ganForward(g, z), 1), 0.5));
}

// Discriminator from GenLab's parameters (gan_discriminator_params order, flat floats).
export function ganDiscriminator(flat, D) {
  const shapes = [['c1W', [D, 1, 4, 4]], ['c1B', [D]], ['c2W', [2 * D, D, 4, 4]], ['c2B', [2 * D]],
                  ['fcW', [1, 2 * D * 49]], ['fcB', [1]]];
  const d = { D };
  let offset = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = { shape, data: flat.subarray(offset, offset + n) };
    offset += n;
    d[name] = tf.variable(shape.length === 4 ? convFilter(t) : T(t), true, `d_${name}`);
  }
  if (offset !== flat.length) throw new Error(`discriminator: ${flat.length} floats, expected ${offset}`);
  d.trainable = [d.c1W, d.c1B, d.c2W, d.c2B, d.fcW, d.fcB];
  return d;
}

// x [B, 784] in [-1, 1] -> logits [B, 1]
export function discriminatorForward(d, x) {
  const B = x.shape[0];
  let h = tf.reshape(x, [B, 28, 28, 1]);
  h = tf.leakyRelu(tf.add(tf.conv2d(h, d.c1W, 2, 'same'), d.c1B), 0.2);
  h = tf.leakyRelu(tf.add(tf.conv2d(h, d.c2W, 2, 'same'), d.c2B), 0.2);
  h = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [B, 2 * d.D * 49]);  // PyTorch (C, H, W) order
  return linear(h, d.fcW, d.fcB);
}

// mean over the batch of BCE-with-logits against a constant target
function bceWithLogits(logits, target) {
  return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)),
                        tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

// One D step and one G step as train::gan_train_step: returns [dLoss, gLoss].
export function ganTrainer(g, d) {
  const optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-8), optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
  return (images01, z) => {
    const real = tf.tidy(() => tf.sub(tf.mul(images01, 2), 1));
    const fake = tf.tidy(() => ganForward(g, z, true));
    const dLoss = optD.minimize(() => tf.add(bceWithLogits(discriminatorForward(d, real), 0.9),
                                             bceWithLogits(discriminatorForward(d, fake), 0)), true, d.trainable);
    const gLoss = optG.minimize(() => bceWithLogits(discriminatorForward(d, ganForward(g, z, true)), 1), true,
                                g.trainable);
    const losses = [dLoss.dataSync()[0], gLoss.dataSync()[0]];
    tf.dispose([real, fake, dLoss, gLoss]);
    return losses;
  };
}

// ---------------------------------------------------------------------------------------------
// VAE (MLP): encoder.{0,2}, fc_mu, fc_logvar, decoder.{0,2,4}.
export function vae(st, { variables = false } = {}) {
  const p = st.tensors, v = variables ? (x) => tf.variable(x) : (x) => x;
  const layer = (name) => ({ w: v(T(p[`${name}.weight`])), b: v(T(p[`${name}.bias`])) });
  const m = { encoder: [layer('encoder.0'), layer('encoder.2')], mu: layer('fc_mu'), logvar: layer('fc_logvar'),
              decoder: [layer('decoder.0'), layer('decoder.2'), layer('decoder.4')] };
  m.trainable = variables ? [...m.encoder, m.mu, m.logvar, ...m.decoder].flatMap((l) => [l.w, l.b]) : [];
  return m;
}

function vaeEncodeT(m, x) {
  let h = x;
  for (const l of m.encoder) h = tf.relu(linear(h, l.w, l.b));
  return [linear(h, m.mu.w, m.mu.b), linear(h, m.logvar.w, m.logvar.b)];
}
function vaeLogits(m, z) {
  let h = z;
  m.decoder.forEach((l, i) => { h = linear(h, l.w, l.b); if (i + 1 < m.decoder.length) h = tf.relu(h); });
  return h;
}
// mu [B, Z] then logvar [B, Z], flat (the layout GenLab's bench module writes)
export const vaeEncode = (m, x) => tf.tidy(() => tf.concat(vaeEncodeT(m, x).map((t) => tf.reshape(t, [-1]))));
export const vaeDecode = (m, z) => tf.tidy(() => tf.sigmoid(vaeLogits(m, z)));

// One Adam step on the negative ELBO (per-sample mean), noise eps given: returns the loss.
export function vaeTrainer(m) {
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  return (x, eps) => {
    const loss = opt.minimize(() => {
      const [mu, logvar] = vaeEncodeT(m, x);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
      const logits = vaeLogits(m, z);
      const recon = tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
      const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
      return tf.div(tf.add(recon, kl), x.shape[0]);
    }, true, m.trainable);
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
}

// ---------------------------------------------------------------------------------------------
// char-RNN, 1-layer LSTM (gate order i, f, g, o like PyTorch).
export function charLstm(st, { variables = false } = {}) {
  const p = st.tensors, v = variables ? (x) => tf.variable(x) : (x) => x;
  const m = {
    embed: v(T(p['embed.weight'])), wih: v(T(p['rnn.weight_ih_l0'])), whh: v(T(p['rnn.weight_hh_l0'])),
    bih: v(T(p['rnn.bias_ih_l0'])), bhh: v(T(p['rnn.bias_hh_l0'])), fcW: v(T(p['fc.weight'])), fcB: v(T(p['fc.bias'])),
  };
  m.H = p['rnn.weight_hh_l0'].shape[1];
  m.trainable = variables ? [m.embed, m.wih, m.whh, m.bih, m.bhh, m.fcW, m.fcB] : [];
  return m;
}

function lstmCell(m, gx, h, c) {
  const gates = tf.add(gx, tf.matMul(h, m.whh, false, true));
  const [i, f, g, o] = tf.split(gates, 4, 1);
  const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
  return [tf.mul(tf.sigmoid(o), tf.tanh(cNew)), cNew];
}

// Feeds ids one step at a time (batch 1) from the zero state; returns the last logits [V].
export function lstmRun(m, ids) {
  const bias = tf.add(m.bih, m.bhh);
  let h = tf.zeros([1, m.H]), c = tf.zeros([1, m.H]), logits = null;
  for (let t = 0; t < ids.length; t++) {
    const next = tf.tidy(() => {
      const x = tf.gather(m.embed, tf.tensor1d([ids[t]], 'int32'));
      const [h2, c2] = lstmCell(m, tf.add(tf.matMul(x, m.wih, false, true), bias), h, c);
      return [h2, c2, linear(h2, m.fcW, m.fcB)];
    });
    tf.dispose([h, c, logits]);
    [h, c, logits] = next;
  }
  const out = logits.dataSync();
  tf.dispose([h, c, logits, bias]);
  return out;
}

// Truncated BPTT step as train::char_rnn_train_step (T steps x B streams, rows t*B + b, state
// carried between calls, global-norm clip 5, Adam lr 2e-3): returns the mean cross-entropy.
export function lstmTrainer(m, T, B) {
  const opt = tf.train.adam(2e-3, 0.9, 0.999, 1e-8);
  let h = tf.zeros([B, m.H]), c = tf.zeros([B, m.H]);
  return (inputs, targets) => {
    let hOut, cOut;
    const { value, grads } = tf.variableGrads(() => {
      // Embedding as one_hot x table: tf.gather's gradient needs UnsortedSegmentSum, which
      // tfjs-backend-wasm 4.22 does not have; the product is the same numbers.
      const x = tf.matMul(tf.oneHot(tf.tensor1d(inputs, 'int32'), m.embed.shape[0]), m.embed);  // [T*B, E]
      const gx = tf.add(tf.matMul(x, m.wih, false, true), tf.add(m.bih, m.bhh));      // [T*B, 4H]
      const steps = tf.split(gx, T, 0);
      let hh = h, cc = c;
      const hs = [];
      for (let t = 0; t < T; t++) { [hh, cc] = lstmCell(m, steps[t], hh, cc); hs.push(hh); }
      hOut = tf.keep(hh); cOut = tf.keep(cc);
      const logits = linear(tf.concat(hs, 0), m.fcW, m.fcB);                          // [T*B, V]
      const labels = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]);
      return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
    }, m.trainable);
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(1, tf.div(5, tf.add(norm, 1e-6)));
      const clipped = {};
      for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
      opt.applyGradients(clipped);
    });
    tf.dispose([h, c, ...Object.values(grads)]);
    h = hOut; c = cOut;
    const loss = value.dataSync()[0];
    value.dispose();
    return loss;
  };
}
