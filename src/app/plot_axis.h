// Axis ticks for the plots (plot.h): where the ticks go and how they read. Pure functions, no
// ImGui, so tests/unit builds them natively and checks them.
//
// Linear axes get "nice" steps 1, 2 or 5 x 10^k (Heckbert, "Nice numbers for graph labels",
// Graphics Gems, 1990): about `target` ticks, all inside [lo, hi]. Log axes get ticks at
// 1, 2, 5 x 10^k over a few decades, only the powers of ten over many, and every n-th power
// of ten over very many.
#pragma once

#include <string>
#include <vector>

namespace app::plot {

struct Ticks {
    std::vector<double> values;  // increasing, inside [lo, hi]
    double step = 0;             // linear: distance between ticks; log: 0
    int decimals = 0;            // digits after the point that tell the ticks apart; -1: each
                                 // label as short as its own value allows (log axes)
};

// The smallest 1, 2, 5 x 10^k that is >= raw (raw > 0).
double nice_step(double raw);
// Ticks of a linear axis over [lo, hi] (lo < hi, both finite); target >= 2.
Ticks linear_ticks(double lo, double hi, int target);
// Ticks of a log axis over [lo, hi] (0 < lo < hi); target >= 2.
Ticks log_ticks(double lo, double hi, int target);
// [lo, hi] widened to whole steps of linear_ticks (a range that starts and ends on a tick).
void widen_to_ticks(double& lo, double& hi, int target);

// A tick's label: "0.25" with `decimals` digits (< 0: as many as the value needs), "-0"
// printed as "0"; from 1e5 up and below 1e-3 "1e-4", "2e+6".
std::string tick_label(double value, int decimals);

}  // namespace app::plot
