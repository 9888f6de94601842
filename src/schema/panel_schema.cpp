// The panel tables (what each panel accepts from a link, an embed or genlab.set()) and the
// validating reads the panels' set_state() use. See panel_schema.h.
#include "schema/panel_schema.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace schema {

namespace {

constexpr double kSeedMax = 2147483647;  // every seed is a non-negative int32

// 0.0001 -> "0.0001", 1e-05 -> "1e-05", 2147483647 -> "2147483647".
std::string show(double x) {
    std::ostringstream s;
    s.precision(10);
    s << x;
    return s.str();
}

std::string range_text(const Key& k) { return "[" + show(k.min) + ", " + show(k.max) + "]"; }

std::string choices_text(const std::vector<std::string>& choices) {
    std::string out;
    for (const std::string& c : choices) out += (out.empty() ? "\"" : ", \"") + c + "\"";
    return out;
}

[[noreturn]] void fail(const Key& k, const std::string& what, const nlohmann::json& v) {
    throw std::invalid_argument(k.field + " must be " + what + ", got " + v.dump());
}

double checked_number(const Key& k, double x, const nlohmann::json& v, const char* what) {
    if (x >= k.min && x <= k.max) return x;
    if (k.out_of_range == OutOfRange::Clamp) return std::clamp(x, k.min, k.max);
    fail(k, std::string(what) + " in " + range_text(k), v);
}

Key make(std::string param, std::string field, Type type, double min, double max) {
    Key k;
    k.param = std::move(param);
    k.field = std::move(field);
    k.type = type;
    k.min = min;
    k.max = max;
    return k;
}

const char* type_name(Type t) {
    switch (t) {
        case Type::Int: return "int";
        case Type::Number: return "number";
        case Type::Bool: return "bool";
        case Type::Choice: return "choice";
        case Type::Text: return "text";
        case Type::List: return "list";
        case Type::Endpoint: return "endpoint";
    }
    return "?";
}

// ---------------------------------------------------------------------------------------------
// The tables. Keys are in the order a link applies them: the model first (train's lr and batch
// are per model; a GAN seed resets an edited z, so z comes last).

// Each panel: {id, title, embed height, aliases, keys, control names, autoplay field}.
std::vector<PanelSchema> build_panels() {
    Key gan_seeds = list_key("gseeds", "gan_seeds", 2, 2, 0, kSeedMax);
    gan_seeds.integers = true;
    return {
        {"gan", "GAN sampler", 480, {"gan-sampler", "sampler"},
         {bool_choice_key("model", "conditional", "gan", "cgan"),
          integer_key("n", "n", 1, 64),
          integer_key("seed", "seed", 0, kSeedMax),
          integer_key("class", "class", -1, 9).only_if("conditional"),
          list_key("z", "z", 1, 512, -3, 3).clamp().only_if("z"),
          integer_key("zrow", "z_row", 0, 63).clamp().only_if("z").with("z")},
         {"model", "n", "seed", "resample", "class", "z"},
         ""},
        {"morph", "VAE morph", 560, {"vae-morph"},
         {endpoint_key("a", "a", 999),
          endpoint_key("b", "b", 999),
          bool_choice_key("kind", "slerp", "linear", "slerp"),
          number_key("t", "t", 0, 1).clamp(),
          integer_key("steps", "steps", 2, 16).slider(3, 16),
          gan_seeds},
         {"a", "b", "t", "play", "swap", "kind", "steps", "gan", "gan_seeds"},
         "playing"},
        {"latent", "latent map", 520, {"latent-map"},
         {list_key("point", "point", 2, 2, -3, 3).clamp(),  // the map shows [-3, 3]^2
          bool_key("manifold", "manifold"),
          bool_key("scatter", "scatter")},
         {"layers"},
         ""},
        {"diffusion", "latent diffusion", 560, {"latent-diffusion"},
         {choice_key("space", "space", {"2d", "16d"}),
          integer_key("seed", "seed", 0, kSeedMax),
          integer_key("steps", "steps", 4, 100),
          number_key("guidance", "guidance", 0, 8),
          integer_key("label", "label", -1, 9),
          number_key("t", "t", 0, 1).clamp(),
          bool_key("trails", "trails")},
         {"space", "t", "play", "trails", "steps", "guidance", "label", "seed", "n", "train"},
         "playing"},
        {"draw", "draw a digit", 520, {},
         {number_key("brush", "brush", 0.6, 3).clamp()},
         {"clear", "brush"},
         ""},
        {"text", "character-level RNN", 560, {"char-rnn", "rnn"},
         {choice_key("model", "cell", {"lstm", "gru"}),
          text_key("prime", "prime", 2048),
          number_key("temperature", "temperature", 0, 10).slider(0, 2),
          integer_key("topk", "top_k", 0, 1000).slider(0, 50),
          integer_key("length", "length", 1, 20000).slider(1, 2000),
          integer_key("seed", "seed", 0, kSeedMax),
          integer_key("speed", "chars_per_frame", 1, 10000).slider(1, 64)},
         {"model", "prime", "temperature", "top_k", "length", "seed", "speed", "generate", "copy", "follow",
          "distribution"},
         "generating"},
        {"train", "training", 600, {"training"},
         {choice_key("model", "kind", {"vae", "gan", "rnn"}),
          // Adam's step size: below 1e-5 nothing moves in a lesson's minutes, above 0.1 every
          // model diverges.
          number_key("lr", "lr", 1e-5, 0.1).log(),
          integer_key("batch", "batch", 2, 1024).slider(2, 256),
          choice_key("cell", "cell", {"lstm", "gru"}).only_if("kind=rnn")},
         {"model", "cell", "text", "play", "reset", "lr", "batch", "weights"},
         "running"},
    };
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys

Key integer_key(std::string param, std::string field, double min, double max) {
    return make(std::move(param), std::move(field), Type::Int, min, max);
}
Key number_key(std::string param, std::string field, double min, double max) {
    return make(std::move(param), std::move(field), Type::Number, min, max);
}
Key bool_key(std::string param, std::string field) {
    return make(std::move(param), std::move(field), Type::Bool, 0, 1);
}
Key choice_key(std::string param, std::string field, std::vector<std::string> choices) {
    Key k = make(std::move(param), std::move(field), Type::Choice, 0, 0);
    k.choices = std::move(choices);
    return k;
}
Key bool_choice_key(std::string param, std::string field, std::string if_false, std::string if_true) {
    Key k = choice_key(std::move(param), std::move(field), {std::move(if_false), std::move(if_true)});
    k.boolean = true;
    return k;
}
Key text_key(std::string param, std::string field, int max_bytes) {
    return make(std::move(param), std::move(field), Type::Text, 0, max_bytes);
}
Key list_key(std::string param, std::string field, int min_items, int max_items, double min, double max) {
    Key k = make(std::move(param), std::move(field), Type::List, min, max);
    k.min_items = min_items;
    k.max_items = max_items;
    return k;
}
Key endpoint_key(std::string param, std::string field, int max_test_index) {
    return make(std::move(param), std::move(field), Type::Endpoint, 0, max_test_index);
}

double Key::number(const nlohmann::json& v) const {
    if (!v.is_number() || !std::isfinite(v.get<double>())) fail(*this, "a number in " + range_text(*this), v);
    return checked_number(*this, v.get<double>(), v, "a number");
}

int64_t Key::integer(const nlohmann::json& v) const {
    const bool whole = v.is_number_integer() || v.is_number_unsigned() ||
                       (v.is_number_float() && std::isfinite(v.get<double>()) &&
                        std::floor(v.get<double>()) == v.get<double>());
    if (!whole) fail(*this, "a whole number in " + range_text(*this), v);
    // Through double: every declared range is within +-2^53.
    return int64_t(checked_number(*this, v.get<double>(), v, "a whole number"));
}

bool Key::flag(const nlohmann::json& v) const {
    if (!v.is_boolean()) fail(*this, "true or false", v);
    return v.get<bool>();
}

std::string Key::word(const nlohmann::json& v) const {
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
    }
    fail(*this, "one of " + choices_text(choices), v);
}

std::string Key::text(const nlohmann::json& v) const {
    if (!v.is_string()) fail(*this, "a string", v);
    std::string s = v.get<std::string>();
    if (s.size() > size_t(max))
        throw std::invalid_argument(field + " is " + std::to_string(s.size()) + " bytes; at most " + show(max));
    return s;
}

std::vector<double> Key::list(const nlohmann::json& v) const {
    const std::string what = (min_items == max_items ? std::to_string(min_items)
                                                     : std::to_string(min_items) + ".." + std::to_string(max_items)) +
                             (integers ? " whole numbers" : " numbers") + " in " + range_text(*this);
    if (!v.is_array() || int(v.size()) < min_items || int(v.size()) > max_items) fail(*this, what, v);
    std::vector<double> out;
    out.reserve(v.size());
    for (const nlohmann::json& item : v) {
        if (!item.is_number() || !std::isfinite(item.get<double>())) fail(*this, what, v);
        const double x = item.get<double>();
        if (integers && std::floor(x) != x) fail(*this, what, v);
        out.push_back(checked_number(*this, x, v, what.c_str()));
    }
    return out;
}

int64_t Key::index(const nlohmann::json& v) const {
    if (!v.is_number_integer() && !v.is_number_unsigned()) fail(*this, "{\"test\": a whole number}", v);
    return std::clamp<int64_t>(v.get<int64_t>(), int64_t(min), int64_t(max));
}

float Key::slider_lo() const {
    const double lo = slider_min != slider_max ? slider_min : min;
    return float(log_scale ? std::log10(lo) : lo);
}

float Key::slider_hi() const {
    const double hi = slider_min != slider_max ? slider_max : max;
    return float(log_scale ? std::log10(hi) : hi);
}

nlohmann::json Key::to_json() const {
    nlohmann::json j = {{"param", param}, {"field", field}, {"type", type_name(type)}};
    if (type == Type::Int || type == Type::Number || type == Type::List || type == Type::Endpoint) {
        j["min"] = min;
        j["max"] = max;
        j["out_of_range"] = out_of_range == OutOfRange::Clamp ? "clamp" : "reject";
    }
    if (type == Type::Endpoint) j["seed_max"] = kSeedMax;
    if (type == Type::Text) j["max_bytes"] = max;
    if (type == Type::Choice) {
        j["choices"] = choices;
        j["boolean"] = boolean;
    }
    if (type == Type::List) {
        j["min_items"] = min_items;
        j["max_items"] = max_items;
        j["integers"] = integers;
    }
    if (log_scale) j["log"] = true;
    if (slider_min != slider_max) j["slider"] = {slider_min, slider_max};
    if (!shown_if.empty()) j["shown_if"] = shown_if;
    if (!sent_with.empty()) j["sent_with"] = sent_with;
    return j;
}

// ---------------------------------------------------------------------------------------------
// Panels

const Key& PanelSchema::key(const std::string& field) const {
    for (const Key& k : keys)
        if (k.field == field) return k;
    throw std::logic_error("panel " + id + " declares no key \"" + field + "\"");
}

bool PanelSchema::has_control(const std::string& name) const {
    return std::find(controls.begin(), controls.end(), name) != controls.end();
}

nlohmann::json PanelSchema::to_json() const {
    nlohmann::json keys_json = nlohmann::json::array();
    for (const Key& k : keys) keys_json.push_back(k.to_json());
    return {{"id", id},           {"title", title},       {"height", embed_height}, {"aliases", aliases},
            {"keys", keys_json},  {"controls", controls}, {"autoplay", autoplay}};
}

const std::vector<PanelSchema>& panels() {
    static const std::vector<PanelSchema> all = build_panels();
    return all;
}

const PanelSchema& panel(const std::string& id) {
    for (const PanelSchema& p : panels())
        if (p.id == id) return p;
    throw std::invalid_argument("no panel \"" + id + "\"");
}

nlohmann::json to_json() {
    nlohmann::json by_id = nlohmann::json::object(), order = nlohmann::json::array(),
                   aliases = nlohmann::json::object();
    for (const PanelSchema& p : panels()) {
        by_id[p.id] = p.to_json();
        order.push_back(p.id);
        aliases[p.id] = p.id;
        for (const std::string& a : p.aliases) aliases[a] = p.id;
    }
    return {{"panels", by_id}, {"order", order}, {"aliases", aliases}};
}

}  // namespace schema
