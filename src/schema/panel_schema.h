// One schema per panel: the state keys a link, an embed or genlab.set() may carry (their types,
// ranges and URL names), the panel's widget names (aliases) and its lesson control names.
// Declared once, in panel_schema.cpp; used by
//   - the panels: set_state() reads every declared key through Key::number()/integer()/...
//     (which reject or clamp as declared) and the sliders take their bounds from the same Key;
//   - the web side: `genlab schema --js` writes build/site/genlab-schema.js (window.GenlabSchema),
//     read by web/genlab-url.js (URL parameters, hide=/show=/lock= names) and web/embed.js
//     (widget names, iframe sizes) before the module loads; the module exports the same JSON
//     (genlab_schema() in src/app/bridge.cpp), and an e2e test checks that the two agree.
// Plain C++ (nlohmann::json only): built into the app, the CLI and the unit tests.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace schema {

enum class Type {
    Int,       // a whole number in [min, max]
    Number,    // a finite number in [min, max]
    Bool,      // true / false (URL: 1/0)
    Choice,    // one of `choices` (a string field, or with `boolean` a bool field: choices[1] = true)
    Text,      // a string of at most `max` UTF-8 bytes
    List,      // min_items..max_items numbers, each in [min, max]
    Endpoint,  // {"test": i} (i in [min, max]), {"random": seed} or {"drawing": true}; URL test:N, random:S
};

// What set_state() does with a value outside [min, max]. The URL always clamps, with a note.
enum class OutOfRange { Reject, Clamp };

struct Key {
    std::string param;   // URL parameter and embed attribute ("topk")
    std::string field;   // genlab.set()/state() field ("top_k")
    Type type = Type::Int;
    double min = 0, max = 0;
    OutOfRange out_of_range = OutOfRange::Reject;
    std::vector<std::string> choices;
    bool boolean = false;              // Choice over a bool field
    int min_items = 0, max_items = 0;  // List
    bool integers = false;             // List of whole numbers
    bool log_scale = false;            // its slider moves in log10
    double slider_min = 0, slider_max = 0;  // the slider's range when narrower than [min, max]
    std::string shown_if;   // links carry it only when "field" is true / non-empty, or "field=value"
    std::string sent_with;  // set in one genlab.set() call together with that field (z_row with z)

    // Chainable modifiers for the tables in panel_schema.cpp.
    Key& clamp() { out_of_range = OutOfRange::Clamp; return *this; }
    Key& log() { log_scale = true; return *this; }
    Key& slider(double lo, double hi) { slider_min = lo, slider_max = hi; return *this; }
    Key& only_if(std::string condition) { shown_if = std::move(condition); return *this; }
    Key& with(std::string other) { sent_with = std::move(other); return *this; }

    // Validating reads of a set_state() value. A wrong type, a value that is not one of the
    // choices, or (Reject) an out-of-range value throws std::invalid_argument with a message
    // naming the field and what it accepts; Clamp clamps to [min, max].
    double number(const nlohmann::json& v) const;    // Number
    int64_t integer(const nlohmann::json& v) const;  // Int
    bool flag(const nlohmann::json& v) const;        // Bool, or a boolean Choice's bool field
    std::string word(const nlohmann::json& v) const; // Choice
    std::string text(const nlohmann::json& v) const; // Text (too long: always rejected)
    std::vector<double> list(const nlohmann::json& v) const;  // List
    int64_t index(const nlohmann::json& v) const;    // Endpoint's test index (always clamped)

    // The slider's bounds: [slider_min, slider_max] if set, else [min, max]; log10 of them for
    // a log_scale key.
    float slider_lo() const;
    float slider_hi() const;

    nlohmann::json to_json() const;
};

Key integer_key(std::string param, std::string field, double min, double max);
Key number_key(std::string param, std::string field, double min, double max);
Key bool_key(std::string param, std::string field);
Key choice_key(std::string param, std::string field, std::vector<std::string> choices);
Key bool_choice_key(std::string param, std::string field, std::string if_false, std::string if_true);
Key text_key(std::string param, std::string field, int max_bytes);
Key list_key(std::string param, std::string field, int min_items, int max_items, double min, double max);
Key endpoint_key(std::string param, std::string field, int max_test_index);

struct PanelSchema {
    std::string id;                    // "train"
    std::string title;                 // what the panel shows, for iframe titles: "training"
    int embed_height = 520;            // default iframe height (CSS px)
    std::vector<std::string> aliases;  // widget names besides the id (data-genlab="vae-morph")
    std::vector<Key> keys;             // in the order a link applies them (the model first)
    std::vector<std::string> controls; // app::Control names, for hide= / show= / lock=
    std::string autoplay;              // the bool field autoplay=1 turns on ("" = none)

    const Key& key(const std::string& field) const;  // by field; throws std::logic_error if absent
    bool has_control(const std::string& name) const;
    nlohmann::json to_json() const;
};

// Every panel, in tab order.
const std::vector<PanelSchema>& panels();
// Throws std::invalid_argument for an unknown id.
const PanelSchema& panel(const std::string& id);
// {"panels": {id: PanelSchema::to_json()}, "order": [ids], "aliases": {name: id}}
nlohmann::json to_json();

}  // namespace schema
