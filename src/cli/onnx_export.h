// ONNX export of GenLab's inference graphs, built with the ONNX library's own protobuf classes
// (Debian libonnx-dev) and checked with onnx::checker before writing.
//
// Graphs (opset 17, dynamic batch "batch"; weights are the float32 values GenLab computes with):
//   gan          z [B, L] (+ labels int64 [B] for a cGAN) -> images [B, 1, 28, 28] in [0, 1]
//                Gemm -> Reshape -> BatchNormalization (eval: running stats) -> Relu ->
//                ConvTranspose(k4, s2, p1) -> BN -> Relu -> ConvTranspose -> Tanh -> (x+1)/2
//   vae-encoder  images [B, 784] in [0, 1] -> mu [B, Z], logvar [B, Z]
//   vae-decoder  z [B, Z] -> probs [B, 784] (sigmoid of the decoder logits)
//   rnn-cell     one step of the char-RNN: char int64 [B], h [layers, B, H] (and c for an LSTM)
//                -> logits [B, V], h_out, c_out. The cell is composed of Gemm/Split/Sigmoid/Tanh
//                in PyTorch's gate order (LSTM i,f,g,o; GRU r,z,n with the reset gate applied
//                after the recurrent matmul), so no weight is reordered.
#pragma once

#include <string>
#include <vector>

namespace cli {

extern const std::vector<std::string> kOnnxGraphs;  // "gan", "vae-encoder", ...

// Reads `weights_path` (safetensors), builds the graph, validates it and writes `onnx_path`.
// When `reference_path` is not empty, also writes JSON with seeded inputs and GenLab's outputs
// for them: {"graph", "cases": [{"inputs": {name: {"shape", "data"}}, "outputs": {...}}]}.
// Throws std::exception with a message on any bad input (unknown graph, wrong model kind, bad
// file).
void export_onnx(const std::string& graph, const std::string& weights_path,
                 const std::string& onnx_path, const std::string& reference_path);

}  // namespace cli
