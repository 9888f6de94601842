// `genlab export --onnx GRAPH WEIGHTS.safetensors OUT.onnx [--reference REF.json]`
// See onnx_export.h for the graphs. The protobuf classes and the checker are the ONNX
// project's own (libonnx-dev); nothing here writes protobuf bytes by hand.
#include "cli/onnx_export.h"

#include "cli/cli.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "models/char_rnn.h"
#include "models/gan.h"
#include "models/vae.h"

#include <nlohmann/json.hpp>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace cli {

const std::vector<std::string> kOnnxGraphs = {"gan", "vae-encoder", "vae-decoder", "rnn-cell"};

namespace {

constexpr int64_t kOpset = 17;      // onnx 1.12 knows opsets up to 17
constexpr int64_t kIrVersion = 8;   // the IR version of onnx 1.12
constexpr int kReferenceBatch = 5;  // rows of the seeded reference inputs
constexpr uint64_t kReferenceSeed = 7;

// A thin layer over onnx::GraphProto: names, initializers, nodes with attributes.
class GraphBuilder {
public:
    explicit GraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

    // A graph input/output; a dim < 0 is the symbolic batch dimension "batch".
    void input(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
        describe(graph_->add_input(), name, elem_type, dims);
    }
    void output(const std::string& name, const std::vector<int64_t>& dims) {
        describe(graph_->add_output(), name, onnx::TensorProto::FLOAT, dims);
    }

    // A float initializer with the PyTorch shape of the parameter (row-major, like ONNX).
    std::string weight(const nn::Param& p) {
        if (p.value.size() != nn::shape_numel(p.shape))
            throw std::logic_error("onnx export: " + p.name + " has " +
                                   std::to_string(p.value.size()) + " values for shape " +
                                   nn::shape_to_string(p.shape));
        return floats(p.name, p.shape, p.value.data());
    }
    std::string floats(const std::string& name, const std::vector<int64_t>& dims,
                       const float* data) {
        onnx::TensorProto* t = graph_->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims) t->add_dims(d);
        t->set_raw_data(std::string(reinterpret_cast<const char*>(data),
                                    sizeof(float) * static_cast<size_t>(nn::shape_numel(dims))));
        return name;
    }
    std::string ints(const std::string& name, const std::vector<int64_t>& values, bool scalar) {
        onnx::TensorProto* t = graph_->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        if (!scalar) t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values) t->add_int64_data(v);
        return name;
    }

    // Adds a node and returns its (first) output name.
    std::string node(const std::string& op, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs,
                     const std::vector<onnx::AttributeProto>& attributes = {}) {
        onnx::NodeProto* n = graph_->add_node();
        n->set_op_type(op);
        n->set_name(op + "_" + std::to_string(graph_->node_size()));
        for (const auto& in : inputs) n->add_input(in);
        for (const auto& out : outputs) n->add_output(out);
        for (const auto& a : attributes) *n->add_attribute() = a;
        return outputs.front();
    }
    // A node with one output named after the op and a counter.
    std::string op(const std::string& op, const std::vector<std::string>& inputs,
                   const std::vector<onnx::AttributeProto>& attributes = {}) {
        return node(op, inputs, {fresh(op)}, attributes);
    }
    std::string fresh(const std::string& stem) { return stem + "_" + std::to_string(++counter_); }

    // Linear in PyTorch layout: y = x W^T + b.
    std::string linear(const std::string& x, const nn::Linear& layer) {
        return op("Gemm", {x, weight(layer.weight), weight(layer.bias)}, {int_attr("transB", 1)});
    }

    static onnx::AttributeProto int_attr(const std::string& name, int64_t v) {
        onnx::AttributeProto a;
        a.set_name(name);
        a.set_type(onnx::AttributeProto::INT);
        a.set_i(v);
        return a;
    }
    static onnx::AttributeProto ints_attr(const std::string& name, const std::vector<int64_t>& v) {
        onnx::AttributeProto a;
        a.set_name(name);
        a.set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) a.add_ints(x);
        return a;
    }
    static onnx::AttributeProto float_attr(const std::string& name, float v) {
        onnx::AttributeProto a;
        a.set_name(name);
        a.set_type(onnx::AttributeProto::FLOAT);
        a.set_f(v);
        return a;
    }

private:
    static void describe(onnx::ValueInfoProto* info, const std::string& name, int elem_type,
                         const std::vector<int64_t>& dims) {
        info->set_name(name);
        onnx::TypeProto_Tensor* tensor = info->mutable_type()->mutable_tensor_type();
        tensor->set_elem_type(elem_type);
        onnx::TensorShapeProto* shape = tensor->mutable_shape();
        for (int64_t d : dims) {
            if (d < 0)
                shape->add_dim()->set_dim_param("batch");
            else
                shape->add_dim()->set_dim_value(d);
        }
    }

    onnx::GraphProto* graph_;
    int counter_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Reference data: seeded inputs and GenLab's outputs, as JSON.

using nlohmann::json;

json tensor_json(const std::vector<int64_t>& shape, const float* data) {
    std::vector<float> values(data, data + nn::shape_numel(shape));
    return json{{"shape", shape}, {"data", values}};
}
json matrix_json(const nn::Matrix& m, std::vector<int64_t> shape = {}) {
    if (shape.empty()) shape = {m.rows(), m.cols()};
    return tensor_json(shape, m.data());
}

// Recurrent state of every layer stacked as [layers, B, H].
nn::Matrix stack_layers(const models::CharRnnState& state, bool cell_state) {
    const auto& layers = state.layers;
    const Eigen::Index rows = layers.front().h.rows(), H = layers.front().h.cols();
    nn::Matrix out(static_cast<Eigen::Index>(layers.size()) * rows, H);
    for (size_t l = 0; l < layers.size(); ++l)
        out.middleRows(static_cast<Eigen::Index>(l) * rows, rows) =
            cell_state ? layers[l].c : layers[l].h;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Graphs

void build_gan(GraphBuilder& g, models::Gan& gan) {
    const models::GanConfig& c = gan.config;
    g.input("z", onnx::TensorProto::FLOAT, {-1, c.latent});
    std::string x = "z";
    if (c.classes > 0) {
        // one_hot(labels) = rows of the identity, concatenated to z as in generator_forward.
        g.input("labels", onnx::TensorProto::INT64, {-1});
        std::vector<float> eye(static_cast<size_t>(c.classes) * c.classes, 0.0f);
        for (int k = 0; k < c.classes; ++k) eye[static_cast<size_t>(k) * c.classes + k] = 1.0f;
        const std::string identity = g.floats("one_hot_table", {c.classes, c.classes}, eye.data());
        const std::string onehot = g.op("Gather", {identity, "labels"}, {g.int_attr("axis", 0)});
        x = g.op("Concat", {"z", onehot}, {g.int_attr("axis", 1)});
    }
    auto batchnorm_relu = [&](const std::string& in, const nn::BatchNorm& bn) {
        const std::string y =
            g.op("BatchNormalization",
                 {in, g.weight(bn.weight), g.weight(bn.bias), g.weight(bn.running_mean),
                  g.weight(bn.running_var)},
                 {g.float_attr("epsilon", bn.eps)});
        return g.op("Relu", {y});
    };
    auto deconv = [&](const std::string& in, const nn::ConvTranspose2d& layer) {
        const nn::ConvGeometry& geo = layer.g;
        std::vector<onnx::AttributeProto> attributes = {
            g.ints_attr("kernel_shape", {geo.kernel, geo.kernel}),
            g.ints_attr("strides", {geo.stride, geo.stride}),
            g.ints_attr("pads", {geo.padding, geo.padding, geo.padding, geo.padding})};
        if (geo.output_padding > 0)
            attributes.push_back(g.ints_attr("output_padding", {geo.output_padding, geo.output_padding}));
        return g.op("ConvTranspose", {in, g.weight(layer.weight), g.weight(layer.bias)},
                    attributes);
    };
    const int C = c.channels;
    x = g.linear(x, gan.g_fc);
    x = g.op("Reshape", {x, g.ints("shape_c_7_7", {-1, C, 7, 7}, false)});
    x = batchnorm_relu(x, gan.g_bn0);
    x = deconv(x, gan.g_deconv1);
    x = batchnorm_relu(x, gan.g_bn1);
    x = deconv(x, gan.g_deconv2);
    x = g.op("Tanh", {x});
    // images = (tanh + 1) / 2
    const float one = 1.0f, half = 0.5f;
    x = g.op("Add", {x, g.floats("one", {}, &one)});
    g.node("Mul", {x, g.floats("half", {}, &half)}, {"images"});
    g.output("images", {-1, 1, 28, 28});
}

std::string mlp(GraphBuilder& g, std::string x, const std::vector<nn::Linear>& layers,
                bool relu_after_last) {
    for (size_t i = 0; i < layers.size(); ++i) {
        x = g.linear(x, layers[i]);
        if (i + 1 < layers.size() || relu_after_last) x = g.op("Relu", {x});
    }
    return x;
}

void build_vae_encoder(GraphBuilder& g, models::Vae& vae) {
    g.input("images", onnx::TensorProto::FLOAT, {-1, vae.config.image_size});
    const std::string h = mlp(g, "images", vae.encoder, true);
    g.node("Gemm", {h, g.weight(vae.fc_mu.weight), g.weight(vae.fc_mu.bias)}, {"mu"},
           {g.int_attr("transB", 1)});
    g.node("Gemm", {h, g.weight(vae.fc_logvar.weight), g.weight(vae.fc_logvar.bias)}, {"logvar"},
           {g.int_attr("transB", 1)});
    g.output("mu", {-1, vae.config.latent});
    g.output("logvar", {-1, vae.config.latent});
}

void build_vae_decoder(GraphBuilder& g, models::Vae& vae) {
    g.input("z", onnx::TensorProto::FLOAT, {-1, vae.config.latent});
    const std::string logits = mlp(g, "z", vae.decoder, false);
    g.node("Sigmoid", {logits}, {"probs"});
    g.output("probs", {-1, vae.config.image_size});
}

void build_rnn_cell(GraphBuilder& g, const models::CharRnn& model) {
    const models::CharRnnConfig& c = model.config;
    const bool lstm = c.cell == "lstm";
    const int H = c.hidden, L = c.layers;
    g.input("char", onnx::TensorProto::INT64, {-1});
    g.input("h", onnx::TensorProto::FLOAT, {L, -1, H});
    if (lstm) g.input("c", onnx::TensorProto::FLOAT, {L, -1, H});
    std::string x = g.op("Gather", {g.weight(model.embed.weight), "char"}, {g.int_attr("axis", 0)});
    const std::string axis0 = g.ints("axis0", {0}, false);
    std::vector<std::string> h_out, c_out;
    for (int l = 0; l < L; ++l) {
        const nn::RecurrentWeights& w =
            lstm ? static_cast<const nn::RecurrentWeights&>(model.lstm[l]) : model.gru[l];
        const std::string index = g.ints("layer" + std::to_string(l), {l}, true);
        const std::string h = g.op("Gather", {"h", index}, {g.int_attr("axis", 0)});  // [B, H]
        const auto transB = g.int_attr("transB", 1);
        const std::string gx = g.op("Gemm", {x, g.weight(w.weight_ih), g.weight(w.bias_ih)}, {transB});
        const std::string gh = g.op("Gemm", {h, g.weight(w.weight_hh), g.weight(w.bias_hh)}, {transB});
        std::string h_new;
        if (lstm) {
            // gates i, f, g, o (PyTorch order); c' = f*c + i*g, h' = o*tanh(c')
            const std::string c_prev = g.op("Gather", {"c", index}, {g.int_attr("axis", 0)});
            const std::string gates = g.op("Add", {gx, gh});
            std::vector<std::string> parts = {g.fresh("gate_i"), g.fresh("gate_f"),
                                              g.fresh("gate_g"), g.fresh("gate_o")};
            g.node("Split", {gates}, parts, {g.int_attr("axis", 1)});
            const std::string i = g.op("Sigmoid", {parts[0]});
            const std::string f = g.op("Sigmoid", {parts[1]});
            const std::string cand = g.op("Tanh", {parts[2]});
            const std::string o = g.op("Sigmoid", {parts[3]});
            const std::string c_new =
                g.op("Add", {g.op("Mul", {f, c_prev}), g.op("Mul", {i, cand})});
            h_new = g.op("Mul", {o, g.op("Tanh", {c_new})});
            c_out.push_back(g.op("Unsqueeze", {c_new, axis0}));
        } else {
            // gates r, z, n (PyTorch order); n = tanh(x W_in + b_in + r*(h W_hn + b_hn)),
            // h' = (1-z)*n + z*h = n + z*(h - n)
            std::vector<std::string> xs = {g.fresh("x_r"), g.fresh("x_z"), g.fresh("x_n")};
            std::vector<std::string> hs = {g.fresh("h_r"), g.fresh("h_z"), g.fresh("h_n")};
            g.node("Split", {gx}, xs, {g.int_attr("axis", 1)});
            g.node("Split", {gh}, hs, {g.int_attr("axis", 1)});
            const std::string r = g.op("Sigmoid", {g.op("Add", {xs[0], hs[0]})});
            const std::string z = g.op("Sigmoid", {g.op("Add", {xs[1], hs[1]})});
            const std::string n = g.op("Tanh", {g.op("Add", {xs[2], g.op("Mul", {r, hs[2]})})});
            h_new = g.op("Add", {n, g.op("Mul", {z, g.op("Sub", {h, n})})});
        }
        h_out.push_back(g.op("Unsqueeze", {h_new, axis0}));
        x = h_new;
    }
    g.node("Gemm", {x, g.weight(model.fc.weight), g.weight(model.fc.bias)}, {"logits"},
           {g.int_attr("transB", 1)});
    g.node("Concat", h_out, {"h_out"}, {g.int_attr("axis", 0)});
    g.output("logits", {-1, c.vocab});
    g.output("h_out", {L, -1, H});
    if (lstm) {
        g.node("Concat", c_out, {"c_out"}, {g.int_attr("axis", 0)});
        g.output("c_out", {L, -1, H});
    }
}

// ---------------------------------------------------------------------------------------------

std::string metadata_kind(const io::SafetensorsFile& file) {
    auto it = file.metadata.find("model");
    return it == file.metadata.end() ? std::string("(none)") : it->second;
}

void require_kind(const io::SafetensorsFile& file, const std::string& graph,
                  const std::vector<std::string>& kinds) {
    const std::string kind = metadata_kind(file);
    for (const auto& k : kinds)
        if (k == kind) return;
    std::string list;
    for (const auto& k : kinds) list += (list.empty() ? "" : " or ") + k;
    throw std::invalid_argument(file.source + ": metadata model is \"" + kind + "\", but --onnx " +
                                graph + " needs a " + list + " weights file");
}

}  // namespace

void export_onnx(const std::string& graph, const std::string& weights_path,
                 const std::string& onnx_path, const std::string& reference_path) {
    bool known = false;
    for (const auto& name : kOnnxGraphs) known = known || name == graph;
    if (!known) {
        std::string list;
        for (const auto& name : kOnnxGraphs) list += (list.empty() ? "" : ", ") + name;
        throw std::invalid_argument("--onnx " + graph + ": unknown graph (one of: " + list + ")");
    }
    const io::SafetensorsFile file = io::read_safetensors(weights_path);

    onnx::ModelProto model;
    model.set_ir_version(kIrVersion);
    model.set_producer_name("genlab");
    model.set_producer_version("0.1.0");
    model.set_doc_string("GenLab " + graph + " exported from " + weights_path);
    onnx::OperatorSetIdProto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    auto add_meta = [&](const std::string& key, const std::string& value) {
        onnx::StringStringEntryProto* p = model.add_metadata_props();
        p->set_key(key);
        p->set_value(value);
    };
    add_meta("genlab_graph", graph);
    add_meta("source_weights_sha256", io::sha256_hex(file.bytes));
    onnx::GraphProto* graph_proto = model.mutable_graph();
    graph_proto->set_name("genlab_" + graph);
    GraphBuilder g(graph_proto);

    json reference = {{"graph", graph}, {"cases", json::array()}};
    if (graph == "gan") {
        require_kind(file, graph, {"gan", "cgan"});
        models::Gan gan;
        models::load_gan_generator(gan, file);
        build_gan(g, gan);
        nn::Matrix z, images;
        models::gan_sample_latent(z, kReferenceBatch, gan.config.latent, kReferenceSeed);
        std::vector<int> labels;
        json inputs = {{"z", matrix_json(z)}};
        if (gan.config.classes > 0) {
            std::vector<float> label_values;
            for (int i = 0; i < kReferenceBatch; ++i) {
                labels.push_back((3 * i + 1) % gan.config.classes);
                label_values.push_back(static_cast<float>(labels.back()));
            }
            inputs["labels"] = tensor_json({kReferenceBatch}, label_values.data());
        }
        models::gan_generate(images, z, labels, gan);
        reference["cases"].push_back(
            {{"inputs", inputs}, {"outputs", {{"images", matrix_json(images, {kReferenceBatch, 1, 28, 28})}}}});
    } else if (graph == "vae-encoder" || graph == "vae-decoder") {
        require_kind(file, graph, {"vae"});
        models::Vae vae;
        models::load_vae(vae, file);
        if (graph == "vae-encoder") {
            build_vae_encoder(g, vae);
            nn::Matrix images(kReferenceBatch, vae.config.image_size), mu, logvar;
            nn::Rng rng(kReferenceSeed);
            nn::fill_uniform(images, rng, 0.0f, 1.0f);
            models::vae_encode(mu, logvar, images, vae);
            reference["cases"].push_back(
                {{"inputs", {{"images", matrix_json(images)}}},
                 {"outputs", {{"mu", matrix_json(mu)}, {"logvar", matrix_json(logvar)}}}});
        } else {
            build_vae_decoder(g, vae);
            nn::Matrix z, probs;
            models::vae_sample_latent(z, kReferenceBatch, vae.config.latent, kReferenceSeed);
            models::vae_decode(probs, z, vae);
            reference["cases"].push_back({{"inputs", {{"z", matrix_json(z)}}},
                                          {"outputs", {{"probs", matrix_json(probs)}}}});
        }
    } else {  // rnn-cell
        require_kind(file, graph, {"char_rnn"});
        models::CharRnn rnn;
        models::load_char_rnn(rnn, file);
        build_rnn_cell(g, rnn);
        add_meta("cell", rnn.config.cell);
        add_meta("vocab", rnn.vocab.chars);
        const bool lstm = rnn.config.cell == "lstm";
        const std::vector<int64_t> state_shape = {rnn.config.layers, 1, rnn.config.hidden};
        // A chain of steps from the zero state: later steps start from non-zero states.
        models::CharRnnState state;
        models::char_rnn_reset(state, rnn, 1);
        for (int id : rnn.vocab.encode_user_text("The hacker ")) {
            const float char_value = static_cast<float>(id);
            json inputs = {{"char", tensor_json({1}, &char_value)},
                           {"h", matrix_json(stack_layers(state, false), state_shape)}};
            if (lstm) inputs["c"] = matrix_json(stack_layers(state, true), state_shape);
            nn::RowVector logits;
            models::char_rnn_step(logits, id, state, rnn);
            json outputs = {{"logits", tensor_json({1, logits.size()}, logits.data())},
                            {"h_out", matrix_json(stack_layers(state, false), state_shape)}};
            if (lstm) outputs["c_out"] = matrix_json(stack_layers(state, true), state_shape);
            reference["cases"].push_back({{"inputs", inputs}, {"outputs", outputs}});
        }
    }

    // Schema, type and attribute checks of the ONNX library itself; throws ValidationError.
    try {
        onnx::checker::check_model(model);
    } catch (const std::exception& e) {
        throw std::runtime_error("onnx export of " + graph + " failed the ONNX checker: " +
                                 e.what());
    }
    {
        std::ofstream out(onnx_path, std::ios::binary | std::ios::trunc);
        if (!out || !model.SerializeToOstream(&out) || !out.flush())
            throw std::runtime_error(onnx_path + ": cannot write the ONNX file (does the "
                                                 "directory exist and is it writable?)");
    }
    if (!reference_path.empty()) {
        std::ofstream out(reference_path, std::ios::trunc);
        out << reference.dump() << '\n';
        if (!out.flush())
            throw std::runtime_error(reference_path + ": cannot write the reference JSON");
    }
}

namespace {

int export_command(const Args& args) {
    args.allow_only({"onnx", "reference"});
    if (!args.has("onnx") || args.positional.size() != 2) {
        std::string list;
        for (const auto& name : kOnnxGraphs) list += (list.empty() ? "" : "|") + name;
        throw std::invalid_argument("usage: genlab export --onnx " + list +
                                    " WEIGHTS.safetensors OUT.onnx [--reference REF.json]");
    }
    const std::string graph = args.get("onnx", "");
    export_onnx(graph, args.positional[0], args.positional[1], args.get("reference", ""));
    std::printf("wrote %s (%s from %s)\n", args.positional[1].c_str(), graph.c_str(),
                args.positional[0].c_str());
    return 0;
}

const bool registered = register_command(
    "export", "",
    "--onnx gan|vae-encoder|vae-decoder|rnn-cell WEIGHTS OUT.onnx [--reference REF.json]",
    export_command);

}  // namespace
}  // namespace cli
