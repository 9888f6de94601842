// The plots' tick placement (src/app/plot_axis.h): 1-2-5 steps, ticks inside the range and
// exactly on multiples of the step, log ticks per decade, labels.
#include "app/plot_axis.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

using app::plot::linear_ticks;
using app::plot::log_ticks;
using app::plot::nice_step;
using app::plot::tick_label;

namespace {

std::vector<std::string> labels(const app::plot::Ticks& t) {
    std::vector<std::string> out;
    for (double v : t.values) out.push_back(tick_label(v, t.decimals));
    return out;
}

}  // namespace

TEST_CASE("plot ticks: nice steps are 1, 2 or 5 x 10^k and never below the raw step") {
    CHECK(nice_step(1.0) == doctest::Approx(1.0));
    CHECK(nice_step(1.1) == doctest::Approx(2.0));
    CHECK(nice_step(2.5) == doctest::Approx(5.0));
    CHECK(nice_step(7.0) == doctest::Approx(10.0));
    CHECK(nice_step(0.03) == doctest::Approx(0.05));
    CHECK(nice_step(0.3 / 3) == doctest::Approx(0.1));  // 0.09999999999999999
    CHECK(nice_step(130.0) == doctest::Approx(200.0));
    for (double raw = 1e-4; raw < 1e6; raw *= 1.37) {
        const double step = nice_step(raw);
        INFO("raw " << raw << " step " << step);
        CHECK(step >= raw * (1 - 1e-9));
        CHECK(step < raw * 2.5 + 1e-12);  // the next nice number is at most 2.5x away
        const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
        CHECK((std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 5) < 1e-9));
    }
}

TEST_CASE("plot ticks: linear ticks read as people write them") {
    CHECK(labels(linear_ticks(0, 1, 6)) == std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1.0"});
    CHECK(labels(linear_ticks(-3, 3, 7)) == std::vector<std::string>{"-3", "-2", "-1", "0", "1", "2", "3"});
    CHECK(labels(linear_ticks(1, 1000, 5)) == std::vector<std::string>{"500", "1000"});
    CHECK(labels(linear_ticks(0.13, 0.71, 4)) == std::vector<std::string>{"0.2", "0.4", "0.6"});
    // No "-0" and no 0.30000000000000004.
    const app::plot::Ticks t = linear_ticks(-0.3, 0.3, 7);
    CHECK(labels(t) == std::vector<std::string>{"-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"});
    CHECK(t.values[3] == 0.0);
    // Bad ranges give no ticks instead of looping.
    CHECK(linear_ticks(1, 1, 5).values.empty());
    CHECK(linear_ticks(2, 1, 5).values.empty());
    CHECK(linear_ticks(0, INFINITY, 5).values.empty());
}

TEST_CASE("plot ticks: linear ticks stay in range, on the step, about the target count") {
    for (double lo : {-1234.5, -1.0, 0.0, 0.001, 7.25, 1e5})
        for (double span : {1e-3, 0.37, 1.0, 9.9, 640.0, 1e6})
            for (int target : {2, 4, 6, 10}) {
                const app::plot::Ticks t = linear_ticks(lo, lo + span, target);
                INFO("lo " << lo << " span " << span << " target " << target);
                REQUIRE(!t.values.empty());
                // At least two ticks; about `target` (a range between two ticks of the first step
                // takes smaller steps, so up to twice as many).
                CHECK(t.values.size() >= 2);
                CHECK(t.values.size() <= size_t(2 * target + 2));
                for (size_t i = 0; i < t.values.size(); ++i) {
                    CHECK(t.values[i] >= lo - span * 1e-9);
                    CHECK(t.values[i] <= lo + span * (1 + 1e-9));
                    const double k = t.values[i] / t.step;
                    CHECK(std::abs(k - std::round(k)) < 1e-6);
                    if (i > 0) CHECK(t.values[i] - t.values[i - 1] == doctest::Approx(t.step));
                }
            }
}

TEST_CASE("plot ticks: log ticks per decade") {
    // Three decades, room for 1-2-5.
    CHECK(labels(log_ticks(1, 1000, 10)) ==
          std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"});
    // Less room: only the powers of ten.
    CHECK(labels(log_ticks(1, 1000, 3)) == std::vector<std::string>{"1", "10", "100", "1000"});
    // Small values use exponents.
    CHECK(labels(log_ticks(1e-6, 1e-2, 5)) == std::vector<std::string>{"1e-6", "1e-5", "1e-4", "0.001", "0.01"});
    // Twelve decades and five ticks: every third power of ten.
    const app::plot::Ticks wide = log_ticks(1e-6, 1e6, 5);
    CHECK(labels(wide) == std::vector<std::string>{"1e-6", "0.001", "1", "1000", "1e+6"});
    // Inside one decade (a loss between 120 and 180 nats): linear ticks.
    CHECK(labels(log_ticks(120, 180, 4)) == std::vector<std::string>{"120", "140", "160", "180"});
    // Many decades and a short axis: powers of ten, never linear ticks crowded at the top
    // (a KL term that starts near 0 and ends near 20).
    CHECK(labels(log_ticks(0.0009, 25, 2)) == std::vector<std::string>{"0.001", "1"});
    CHECK(labels(log_ticks(0.0009, 25, 6)) == std::vector<std::string>{"0.001", "0.01", "0.1", "1", "10"});
    // A stride that leaves one tick ([0.008, 20], every third power: only 1) takes a smaller one.
    CHECK(labels(log_ticks(0.008, 20, 2)) == std::vector<std::string>{"0.01", "1"});
    CHECK(log_ticks(0, 10, 5).values.empty());
    CHECK(log_ticks(-1, 10, 5).values.empty());
}

TEST_CASE("plot ticks: widen_to_ticks ends a range on ticks") {
    double lo = 0.13, hi = 0.71;
    app::plot::widen_to_ticks(lo, hi, 4);
    CHECK(lo == doctest::Approx(0.0));
    CHECK(hi == doctest::Approx(0.8));
    lo = -2.7, hi = 2.2;
    app::plot::widen_to_ticks(lo, hi, 6);
    CHECK(lo == doctest::Approx(-3.0));
    CHECK(hi == doctest::Approx(3.0));
    CHECK(tick_label(2e6, 0) == "2e+6");
    CHECK(tick_label(-0.0001, 4) == "-1e-4");
}
