#include "app/plot_axis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace app::plot {

double nice_step(double raw) {
    const double decade = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / decade;  // in [1, 10)
    // 1e-9 of slack: raw = 0.3 / 3 is 0.09999999999999999, whose nice step is 0.1.
    for (double nice : {1.0, 2.0, 5.0})
        if (fraction <= nice * (1 + 1e-9)) return nice * decade;
    return 10 * decade;
}

Ticks linear_ticks(double lo, double hi, int target) {
    Ticks out;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return out;
    target = std::max(2, target);
    double step = nice_step((hi - lo) / double(target - 1));
    // A range that falls between two ticks of the step ([0.001, 0.371] with step 0.5) gets the
    // next smaller 1-2-5 steps until two ticks fit.
    for (int attempt = 0; attempt < 4; ++attempt) {
        out.values.clear();
        out.step = step;
        // Ticks are k * step, computed from the integer k so they do not drift (0.1 + 0.2 ...).
        const double eps = step * 1e-9;
        for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1) {
            const double v = k * step;
            out.values.push_back(std::abs(v) < eps ? 0.0 : v);
        }
        if (out.values.size() >= 2) break;
        const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
        step *= mantissa > 3 ? 0.4 : 0.5;  // 5 -> 2, 2 -> 1, 1 -> 0.5
    }
    out.decimals = std::max(0, -int(std::floor(std::log10(out.step) + 1e-9)));
    return out;
}

Ticks log_ticks(double lo, double hi, int target) {
    Ticks out;
    if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi)) return out;
    target = std::max(2, target);
    const int first = int(std::floor(std::log10(lo) + 1e-9)), last = int(std::ceil(std::log10(hi) - 1e-9));
    const int decades = std::max(1, last - first);
    const double eps = 1e-9;
    auto inside = [&](double v) { return v >= lo * (1 - eps) && v <= hi * (1 + eps); };
    // Within a decade: 1, 2, 5 when there is room for three ticks per decade; 1, 3 for about
    // two; only the power of ten otherwise.
    std::vector<double> mantissas = {1};
    if (3 * decades <= target) mantissas = {1, 2, 5};
    else if (2 * decades <= target) mantissas = {1, 3};
    const int every = std::max(1, (decades + target - 1) / target);  // power-of-ten stride
    for (int e = first; e <= last; ++e) {
        if (((e % every) + every) % every != 0) continue;
        for (double m : mantissas) {
            const double v = m * std::pow(10.0, e);
            if (inside(v)) out.values.push_back(v);
        }
    }
    // Fewer than two ticks left by the stride: the next smaller stride that gives two.
    for (int stride = every - 1; out.values.size() < 2 && stride >= 1; --stride) {
        out.values.clear();
        for (int e = first; e <= last; ++e)
            if (((e % stride) + stride) % stride == 0 && inside(std::pow(10.0, e))) out.values.push_back(std::pow(10.0, e));
    }
    // A range within about a decade (e.g. [120, 180]) may hold no 1-2-5 tick: linear ticks
    // there (in log space they are spaced a little unevenly, which at this range is not seen).
    if (out.values.size() < 2 && hi / lo < 30) {
        Ticks linear = linear_ticks(lo, hi, target);
        linear.values.erase(std::remove_if(linear.values.begin(), linear.values.end(),
                                           [](double v) { return v <= 0; }),
                            linear.values.end());
        return linear;
    }
    out.decimals = -1;  // each label as short as its value allows: 0.001, 0.01, 100
    return out;
}

void widen_to_ticks(double& lo, double& hi, int target) {
    if (!(hi > lo)) return;
    const double step = nice_step((hi - lo) / double(std::max(2, target) - 1));
    lo = std::floor(lo / step + 1e-9) * step;
    hi = std::ceil(hi / step - 1e-9) * step;
}

std::string tick_label(double value, int decimals) {
    char text[32];
    const double magnitude = std::abs(value);
    if (magnitude != 0 && (magnitude >= 1e5 || magnitude < 1e-3)) {
        std::snprintf(text, sizeof text, "%.0e", value);
        // "%.0e" gives 2 exponent digits ("1e-04"); drop the leading zero for a shorter label.
        std::string s = text;
        const size_t e = s.find('e');
        if (e != std::string::npos && e + 2 < s.size() && s[e + 2] == '0' && s.size() > e + 3) s.erase(e + 2, 1);
        return s;
    }
    if (decimals < 0) decimals = magnitude == 0 ? 0 : std::max(0, -int(std::floor(std::log10(magnitude) + 1e-9)));
    std::snprintf(text, sizeof text, "%.*f", std::clamp(decimals, 0, 9), value);
    std::string s = text;
    if (s.find_first_not_of("-0.") == std::string::npos) return "0";  // "-0.00" -> "0"
    return s;
}

}  // namespace app::plot
