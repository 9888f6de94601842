// The panels' state schema (src/schema/panel_schema.h): every declared key accepts in-range
// values unchanged and rejects or clamps out-of-range ones as declared, wrong types are refused
// with a message naming the field, and the JSON the web side reads carries every key. The same
// keys going through the real panels' set_state()/state() (and through the URL) is checked in
// the browser: tests/e2e/url_state.test.mjs.
#include "schema/panel_schema.h"

#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

// The message of the std::invalid_argument `fn` throws, or "" if it does not throw that.
template <class Fn>
std::string rejection(Fn fn) {
    try {
        fn();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

// In-range values of a number-like key: both ends and a point inside.
std::vector<double> inside(const schema::Key& k) {
    const double mid = k.type == schema::Type::Int || k.integers ? std::floor((k.min + k.max) / 2) : (k.min + k.max) / 2;
    return {k.min, mid, k.max};
}

// Just outside: one whole step for integers, 1% of the range (at least 1e-6) for numbers.
std::vector<double> outside(const schema::Key& k) {
    const double step = k.type == schema::Type::Int || k.integers ? 1.0 : std::max((k.max - k.min) * 0.01, 1e-6);
    return {k.min - step, k.max + step};
}

}  // namespace

TEST_CASE("panel schema: every key accepts its in-range values unchanged") {
    for (const schema::PanelSchema& p : schema::panels()) {
        for (const schema::Key& k : p.keys) {
            CAPTURE(p.id);
            CAPTURE(k.field);
            switch (k.type) {
                case schema::Type::Int:
                    for (double x : inside(k)) CHECK(k.integer(json(int64_t(x))) == int64_t(x));
                    CHECK(k.integer(json(k.max)) == int64_t(k.max));  // 12.0 is a whole number
                    break;
                case schema::Type::Number:
                    for (double x : inside(k)) CHECK(k.number(json(x)) == x);
                    break;
                case schema::Type::Bool:
                    CHECK(k.flag(json(true)) == true);
                    CHECK(k.flag(json(false)) == false);
                    break;
                case schema::Type::Choice:
                    if (k.boolean) {
                        REQUIRE(k.choices.size() == 2);
                        CHECK(k.flag(json(true)) == true);
                        CHECK(k.flag(json(false)) == false);
                    } else {
                        REQUIRE(!k.choices.empty());
                        for (const std::string& c : k.choices) CHECK(k.word(json(c)) == c);
                    }
                    break;
                case schema::Type::Text:
                    CHECK(k.text(json("")) == "");
                    CHECK(k.text(json(std::string(size_t(k.max), 'x'))).size() == size_t(k.max));
                    break;
                case schema::Type::List:
                    for (int n : {k.min_items, k.max_items}) {
                        for (double x : inside(k)) {
                            const std::vector<double> got = k.list(json(std::vector<double>(size_t(n), x)));
                            REQUIRE(got.size() == size_t(n));
                            for (double g : got) CHECK(g == x);
                        }
                    }
                    break;
                case schema::Type::Endpoint:
                    for (double x : inside(k)) CHECK(k.index(json(int64_t(x))) == int64_t(x));
                    break;
            }
        }
    }
}

TEST_CASE("panel schema: out-of-range values are rejected or clamped as declared") {
    int rejected = 0, clamped = 0;
    for (const schema::PanelSchema& p : schema::panels()) {
        for (const schema::Key& k : p.keys) {
            CAPTURE(p.id);
            CAPTURE(k.field);
            const bool clamps = k.out_of_range == schema::OutOfRange::Clamp;
            const std::vector<double> out = outside(k);
            const std::vector<double> ends = {k.min, k.max};
            for (size_t i = 0; i < out.size(); ++i) {
                const double x = out[i];
                if (k.type == schema::Type::Int) {
                    if (clamps) CHECK(k.integer(json(int64_t(x))) == int64_t(ends[i]));
                    else CHECK(rejection([&] { k.integer(json(int64_t(x))); }).find(k.field + " must be") == 0);
                } else if (k.type == schema::Type::Number) {
                    if (clamps) CHECK(k.number(json(x)) == ends[i]);
                    else CHECK(rejection([&] { k.number(json(x)); }).find(k.field + " must be") == 0);
                } else if (k.type == schema::Type::List) {
                    const json v = std::vector<double>(size_t(k.min_items), x);
                    if (clamps) CHECK(k.list(v).front() == ends[i]);
                    else CHECK(rejection([&] { k.list(v); }).find(k.field + " must be") == 0);
                } else if (k.type == schema::Type::Endpoint) {
                    CHECK(k.index(json(int64_t(x))) == int64_t(ends[i]));  // test digits always clamp
                    continue;
                } else {
                    continue;
                }
                (clamps ? clamped : rejected) += 1;
            }
            if (k.type == schema::Type::List) {  // too few / too many items: always refused
                CHECK(!rejection([&] { k.list(json(std::vector<double>(size_t(k.min_items - 1), k.min))); }).empty());
                CHECK(!rejection([&] { k.list(json(std::vector<double>(size_t(k.max_items + 1), k.min))); }).empty());
            }
            if (k.type == schema::Type::Text)
                CHECK(rejection([&] { k.text(json(std::string(size_t(k.max) + 1, 'x'))); }).find(k.field + " is") == 0);
            if (k.type == schema::Type::Choice && !k.boolean)
                CHECK(rejection([&] { k.word(json("not-a-choice")); }).find(k.field + " must be one of") == 0);
        }
    }
    // Both policies are in use (the test would pass vacuously otherwise).
    CHECK(rejected > 10);
    CHECK(clamped > 4);
}

TEST_CASE("panel schema: wrong types are refused with the field's name") {
    for (const schema::PanelSchema& p : schema::panels()) {
        for (const schema::Key& k : p.keys) {
            CAPTURE(p.id);
            CAPTURE(k.field);
            const json text = "many", fraction = 0.5, number = 1;
            switch (k.type) {
                case schema::Type::Int:
                    CHECK(rejection([&] { k.integer(text); }).find(k.field) == 0);
                    CHECK(rejection([&] { k.integer(json(k.min + 0.5)); }).find(k.field) == 0);
                    CHECK(rejection([&] { k.integer(json(nullptr)); }).find(k.field) == 0);
                    break;
                case schema::Type::Number:
                    CHECK(rejection([&] { k.number(text); }).find(k.field) == 0);
                    CHECK(rejection([&] { k.number(json(true)); }).find(k.field) == 0);
                    break;
                case schema::Type::Bool:
                case schema::Type::Choice:
                    if (k.type == schema::Type::Bool || k.boolean) CHECK(rejection([&] { k.flag(number); }).find(k.field) == 0);
                    else CHECK(rejection([&] { k.word(number); }).find(k.field) == 0);
                    break;
                case schema::Type::Text:
                    CHECK(rejection([&] { k.text(number); }).find(k.field) == 0);
                    break;
                case schema::Type::List:
                    CHECK(rejection([&] { k.list(text); }).find(k.field) == 0);
                    CHECK(rejection([&] { k.list(json::array({"x", "y"})); }).find(k.field) == 0);
                    if (k.integers) CHECK(rejection([&] { k.list(json::array({fraction, fraction})); }).find(k.field) == 0);
                    break;
                case schema::Type::Endpoint:
                    CHECK(rejection([&] { k.index(text); }).find(k.field) == 0);
                    break;
            }
        }
    }
}

TEST_CASE("panel schema: names are unique and the JSON for the web side carries every key") {
    const json j = schema::to_json();
    std::set<std::string> ids, aliases;
    for (const schema::PanelSchema& p : schema::panels()) {
        CAPTURE(p.id);
        CHECK(ids.insert(p.id).second);
        CHECK(j["aliases"][p.id] == p.id);
        for (const std::string& a : p.aliases) {
            CHECK(aliases.insert(a).second);
            CHECK(j["aliases"][a] == p.id);
        }
        std::set<std::string> params, fields;
        const json& keys = j["panels"][p.id]["keys"];
        REQUIRE(keys.size() == p.keys.size());
        for (size_t i = 0; i < p.keys.size(); ++i) {
            const schema::Key& k = p.keys[i];
            CHECK(params.insert(k.param).second);
            CHECK(fields.insert(k.field).second);
            CHECK(keys[i]["param"] == k.param);
            CHECK(keys[i]["field"] == k.field);
            if (keys[i].contains("min")) {
                CHECK(keys[i]["min"].get<double>() == k.min);
                CHECK(keys[i]["max"].get<double>() == k.max);
            }
            CHECK(&p.key(k.field) == &k);
            if (!k.sent_with.empty()) CHECK_NOTHROW(p.key(k.sent_with));
            if (!k.shown_if.empty()) CHECK_NOTHROW(p.key(k.shown_if.substr(0, k.shown_if.find('='))));
        }
        CHECK(!p.controls.empty());
        CHECK(j["panels"][p.id]["controls"].size() == p.controls.size());
    }
    CHECK(ids == std::set<std::string>{"gan", "morph", "latent", "draw", "text", "diffusion", "train"});
    CHECK_THROWS_AS(schema::panel("nope"), std::invalid_argument);
    CHECK_THROWS_AS(schema::panel("train").key("nope"), std::logic_error);
}

TEST_CASE("panel schema: the Train panel has one learning-rate range, and its slider spans it") {
    const schema::Key& lr = schema::panel("train").key("lr");
    CHECK(lr.min == doctest::Approx(1e-5));
    CHECK(lr.max == doctest::Approx(0.1));
    CHECK(lr.log_scale);
    CHECK(lr.slider_lo() == doctest::Approx(std::log10(lr.min)));
    CHECK(lr.slider_hi() == doctest::Approx(std::log10(lr.max)));
    CHECK(lr.number(json(2e-4)) == doctest::Approx(2e-4));
    CHECK(rejection([&] { lr.number(json(0.5)); }) == "lr must be a number in [1e-05, 0.1], got 0.5");
    CHECK(rejection([&] { lr.number(json(0)); }).find("lr must be a number in") == 0);
}
