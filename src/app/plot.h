// A small plotting helper over ImDrawList: axes with 1-2-5 ticks (plot_axis.h), axis labels
// with units, optional log scale, and a hover read-out. Used by the Train panel's curves, the
// Text panel's next-character bars and the latent maps' axes.
//
//   plot::Axis x{0, 1000, "step"}, y{0.5, 300, "-ELBO (nats)", true};
//   plot::line_chart("loss", ImVec2(-1, 140), x_label, y, lines);      // a whole chart
//   plot::Frame f = plot::frame_around(map_rect, x, y);                 // axes around an area
//   plot::draw_axes(ImGui::GetWindowDrawList(), f);
#pragma once

#include "imgui.h"

#include <cmath>
#include <string>
#include <vector>

namespace app::plot {

struct Axis {
    double lo = 0, hi = 1;
    const char* label = nullptr;  // with units: "step", "loss (nats)", "z1"
    bool log = false;             // log10 scale (lo > 0)
};

// A data area on screen and the axes that map into it.
struct Frame {
    ImVec2 min, max;  // data area, screen pixels; y grows downwards on screen
    Axis x, y;
    ImVec2 to_screen(double vx, double vy) const;
    double x_at(float screen_x) const;
    double y_at(float screen_y) const;
};

// Space the axes need outside a data area, in pixels at the current font: y tick labels on the
// left, the y label on a line above, x tick labels and the x label (right-aligned) below.
struct Margins {
    float left, top, right, bottom;
};
Margins axis_margins(const Axis& x, const Axis& y);
// The data area left inside an outer rectangle once the margins are taken.
Frame frame_inside(ImVec2 outer_min, ImVec2 outer_max, const Axis& x, const Axis& y);
// A square data area of `side` pixels placed at `cursor` with room for the axes to its left,
// above and below; `total` gets the size the area and its axes take (for the layout).
Frame square_frame(ImVec2 cursor, float side, const Axis& x, const Axis& y, ImVec2* total);
// The side of the largest such square that fits in `room`.
float square_side_for(ImVec2 room, const Axis& x, const Axis& y);
// Grid lines, ticks, tick labels and axis labels of `f` (drawn around and inside its area).
void draw_axes(ImDrawList* dl, const Frame& f, bool grid = true);

struct Line {
    const std::vector<float>* values;  // one value per x step
    ImU32 color;
    const char* name;                  // legend and read-out: "D loss"
    float latest = NAN;                // the legend's value (e.g. a mean of the last steps);
                                       // NaN: the last value
};

struct LineChart {
    const char* x_label = "step";
    const char* y_label = nullptr;  // with units
    const char* units = "";         // after values in the read-out: " nats"
    bool log_y = false;
    double x_first = 1, x_step = 1;  // x of values[0], and between values
    bool fixed_y = false;            // use y_lo, y_hi instead of the data's range
    double y_lo = 0, y_hi = 1;
};

// A chart of `lines` filling `size` (x or y <= 0: the space left): an item ImGui can hover
// (the read-out lists each line's value at the mouse's x), legend with the latest values.
void line_chart(const char* id, ImVec2 size, const LineChart& chart, const std::vector<Line>& lines);

struct BarChart {
    const char* x_label = "probability";
    std::vector<std::string> categories;  // one row each, top to bottom
    std::vector<float> values[2];         // per category; values[1] may be empty
    ImU32 colors[2] = {IM_COL32(120, 130, 150, 255), IM_COL32(90, 170, 255, 255)};
    const char* names[2] = {"", ""};      // read-out names of the two series
};

// Horizontal bars (two per category when values[1] is given) over an x axis from 0.
void bar_chart(const char* id, ImVec2 size, const BarChart& chart);

}  // namespace app::plot
