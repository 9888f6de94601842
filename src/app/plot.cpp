// Plots over ImDrawList. Colours come from the ImGui style (text, frame, border), so the
// light and dark themes both work; series colours are the caller's.
#include "app/plot.h"

#include "app/plot_axis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace app::plot {

namespace {

constexpr float kTickLength = 4.0f;
constexpr float kGap = 4.0f;

double scaled(const Axis& a, double v) {
    if (!a.log) return v;
    return std::log10(v > 0 ? v : a.lo);
}

// Position of v along the axis, 0 at lo and 1 at hi.
double unit_of(const Axis& a, double v) {
    const double lo = scaled(a, a.lo), hi = scaled(a, a.hi);
    return hi > lo ? (scaled(a, v) - lo) / (hi - lo) : 0.5;
}

double value_at_unit(const Axis& a, double t) {
    const double lo = scaled(a, a.lo), hi = scaled(a, a.hi);
    const double v = lo + t * (hi - lo);
    return a.log ? std::pow(10.0, v) : v;
}

Ticks ticks_of(const Axis& a, float pixels, float min_spacing) {
    const int target = std::clamp(int(pixels / min_spacing), 2, 10);
    return a.log ? log_ticks(a.lo, a.hi, target) : linear_ticks(a.lo, a.hi, target);
}

ImU32 style_color(ImGuiCol which, float alpha = 1.0f) {
    ImVec4 c = ImGui::GetStyleColorVec4(which);
    c.w *= alpha;
    return ImGui::ColorConvertFloat4ToU32(c);
}

// The outer rectangle of a chart at the cursor: `size` components <= 0 take the space left.
void outer_rect(ImVec2 size, ImVec2& min, ImVec2& max) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    min = ImGui::GetCursorScreenPos();
    max = ImVec2(min.x + (size.x > 0 ? size.x : std::max(avail.x, 40.0f)),
                 min.y + (size.y > 0 ? size.y : std::max(avail.y, 40.0f)));
}

// Mean of values[lo, hi): the chart draws one point per pixel column, however long the history.
float bucket_mean(const std::vector<float>& v, size_t lo, size_t hi) {
    double sum = 0;
    int n = 0;
    for (size_t i = lo; i < hi && i < v.size(); ++i)
        if (std::isfinite(v[i])) sum += v[i], ++n;
    return n ? float(sum / n) : NAN;
}

}  // namespace

ImVec2 Frame::to_screen(double vx, double vy) const {
    return ImVec2(min.x + float(unit_of(x, vx)) * (max.x - min.x), max.y - float(unit_of(y, vy)) * (max.y - min.y));
}
double Frame::x_at(float sx) const { return value_at_unit(x, (sx - min.x) / std::max(1.0f, max.x - min.x)); }
double Frame::y_at(float sy) const { return value_at_unit(y, (max.y - sy) / std::max(1.0f, max.y - min.y)); }

Margins axis_margins(const Axis& x, const Axis& y) {
    const float line = ImGui::GetTextLineHeight();
    float widest = 0;
    const Ticks yt = y.log ? log_ticks(y.lo, y.hi, 6) : linear_ticks(y.lo, y.hi, 6);
    for (double v : yt.values) widest = std::max(widest, ImGui::CalcTextSize(tick_label(v, yt.decimals).c_str()).x);
    Margins m;
    m.left = widest + kTickLength + kGap;
    m.top = y.label ? line + kGap : line * 0.5f;  // the y label, or room for the top tick label
    m.right = ImGui::CalcTextSize(tick_label(x.hi, 0).c_str()).x * 0.5f + 2;
    m.bottom = kTickLength + line + 2;
    return m;
}

Frame frame_inside(ImVec2 outer_min, ImVec2 outer_max, const Axis& x, const Axis& y) {
    const Margins m = axis_margins(x, y);
    Frame f;
    f.x = x;
    f.y = y;
    f.min = ImVec2(outer_min.x + m.left, outer_min.y + m.top);
    f.max = ImVec2(std::max(f.min.x + 10, outer_max.x - m.right), std::max(f.min.y + 10, outer_max.y - m.bottom));
    return f;
}

Frame square_frame(ImVec2 cursor, float side, const Axis& x, const Axis& y, ImVec2* total) {
    const Margins m = axis_margins(x, y);
    Frame f;
    f.x = x;
    f.y = y;
    f.min = ImVec2(cursor.x + m.left, cursor.y + m.top);
    f.max = ImVec2(f.min.x + side, f.min.y + side);
    if (total) *total = ImVec2(m.left + side + m.right, m.top + side + m.bottom);
    return f;
}

float square_side_for(ImVec2 room, const Axis& x, const Axis& y) {
    const Margins m = axis_margins(x, y);
    return std::max(40.0f, std::min(room.x - m.left - m.right, room.y - m.top - m.bottom));
}

void draw_axes(ImDrawList* dl, const Frame& f, bool grid) {
    const ImU32 text = style_color(ImGuiCol_Text, 0.75f), faint = style_color(ImGuiCol_Border, 0.45f),
                axis = style_color(ImGuiCol_Border, 1.0f);
    const float line = ImGui::GetTextLineHeight();
    // x: ticks below the area, labels centred on them; the axis label right-aligned on the
    // label row, and any tick label that would overlap a neighbour or it is left out.
    float x_label_left = f.max.x + 1e6f;
    if (f.x.label) {
        const float w = ImGui::CalcTextSize(f.x.label).x;
        x_label_left = f.max.x - w;
        dl->AddText(ImVec2(x_label_left, f.max.y + kTickLength + 1), text, f.x.label);
    }
    const Ticks xt = ticks_of(f.x, f.max.x - f.min.x, 70.0f);
    float last_right = -1e6f;
    for (double v : xt.values) {
        const float sx = f.to_screen(v, f.y.lo).x;
        if (grid) dl->AddLine(ImVec2(sx, f.min.y), ImVec2(sx, f.max.y), faint);
        dl->AddLine(ImVec2(sx, f.max.y), ImVec2(sx, f.max.y + kTickLength), axis);
        const std::string label = tick_label(v, xt.decimals);
        const float w = ImGui::CalcTextSize(label.c_str()).x;
        const float left = sx - w * 0.5f;
        if (left < last_right + kGap || left + w > x_label_left - kGap) continue;
        dl->AddText(ImVec2(left, f.max.y + kTickLength + 1), text, label.c_str());
        last_right = left + w;
    }
    // y: ticks left of the area, labels right-aligned to them; the axis label above the area.
    const Ticks yt = ticks_of(f.y, f.max.y - f.min.y, line * 2.0f);
    for (double v : yt.values) {
        const float sy = f.to_screen(f.x.lo, v).y;
        if (grid) dl->AddLine(ImVec2(f.min.x, sy), ImVec2(f.max.x, sy), faint);
        dl->AddLine(ImVec2(f.min.x - kTickLength, sy), ImVec2(f.min.x, sy), axis);
        const std::string label = tick_label(v, yt.decimals);
        const float w = ImGui::CalcTextSize(label.c_str()).x;
        dl->AddText(ImVec2(f.min.x - kTickLength - 2 - w, sy - line * 0.5f), text, label.c_str());
    }
    if (f.y.label) dl->AddText(ImVec2(f.min.x - kTickLength, f.min.y - line - kGap), text, f.y.label);
    dl->AddRect(f.min, f.max, axis);
}

void line_chart(const char* id, ImVec2 size, const LineChart& chart, const std::vector<Line>& lines) {
    ImVec2 outer_min, outer_max;
    outer_rect(size, outer_min, outer_max);
    ImGui::InvisibleButton(id, ImVec2(outer_max.x - outer_min.x, outer_max.y - outer_min.y));
    const bool hovered = ImGui::IsItemHovered();

    size_t count = 0;
    for (const Line& l : lines) count = std::max(count, l.values->size());
    Axis x{chart.x_first, chart.x_first + chart.x_step * double(std::max<size_t>(count, 2) - 1), chart.x_label};
    Axis y{chart.y_lo, chart.y_hi, chart.y_label, chart.log_y};
    if (!chart.fixed_y) {
        double lo = INFINITY, hi = -INFINITY;
        for (const Line& l : lines)
            for (float v : *l.values)
                if (std::isfinite(v) && (!chart.log_y || v > 0)) lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
        if (!(hi >= lo)) lo = chart.log_y ? 0.1 : 0, hi = 1;  // no data yet
        if (chart.log_y) {
            if (hi < lo * 1.5) lo /= 1.25, hi *= 1.25;  // a flat curve still gets a range
            lo /= std::pow(hi / lo, 0.04);               // a little air above and below
            hi *= std::pow(hi / lo, 0.04);
        } else {
            if (hi - lo < 1e-6) lo -= 0.5, hi += 0.5;
            widen_to_ticks(lo, hi, 5);
        }
        y.lo = lo;
        y.hi = hi;
    }
    Frame f = frame_inside(outer_min, outer_max, x, y);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(f.min, f.max, style_color(ImGuiCol_FrameBg));
    draw_axes(dl, f, true);

    // One point per pixel column (bucket means), clipped to the area.
    const int columns = std::max(2, int(f.max.x - f.min.x));
    std::vector<ImVec2> points;
    dl->PushClipRect(f.min, f.max, true);
    for (const Line& l : lines) {
        const std::vector<float>& v = *l.values;
        const size_t n = v.size();
        if (n == 0) continue;
        points.clear();
        const size_t buckets = std::min(n, size_t(columns));
        for (size_t b = 0; b < buckets; ++b) {
            const size_t lo = n * b / buckets, hi = std::max(lo + 1, n * (b + 1) / buckets);
            const float mean = bucket_mean(v, lo, hi);
            if (!std::isfinite(mean)) continue;
            const double xi = chart.x_first + chart.x_step * 0.5 * double(lo + hi - 1);
            points.push_back(f.to_screen(xi, mean));
        }
        if (points.size() == 1) dl->AddCircleFilled(points[0], 2.5f, l.color);
        else dl->AddPolyline(points.data(), int(points.size()), l.color, ImDrawFlags_None, 1.5f);
    }
    dl->PopClipRect();

    // Legend with the latest values, right-aligned on the y label's line.
    float right = f.max.x;
    for (size_t k = lines.size(); k-- > 0;) {
        const Line& l = lines[k];
        char text[96];
        if (l.values->empty()) std::snprintf(text, sizeof text, "%s", l.name);
        else std::snprintf(text, sizeof text, "%s %.4g%s", l.name,
                           double(std::isfinite(l.latest) ? l.latest : l.values->back()), chart.units);
        const float w = ImGui::CalcTextSize(text).x;
        const float line_y = f.min.y - ImGui::GetTextLineHeight() - kGap;
        dl->AddText(ImVec2(right - w, line_y), l.color, text);
        right -= w + 3 * kGap;
    }

    // Hover read-out: the value of every line at the step under the mouse.
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    if (hovered && count > 0 && mouse.x >= f.min.x && mouse.x <= f.max.x) {
        const double xm = f.x_at(mouse.x);
        const size_t i = size_t(std::clamp(std::round((xm - chart.x_first) / chart.x_step), 0.0, double(count - 1)));
        const float sx = f.to_screen(chart.x_first + chart.x_step * double(i), f.y.lo).x;
        dl->AddLine(ImVec2(sx, f.min.y), ImVec2(sx, f.max.y), style_color(ImGuiCol_Text, 0.5f));
        ImGui::BeginTooltip();
        ImGui::Text("%s %.6g", chart.x_label, chart.x_first + chart.x_step * double(i));
        for (const Line& l : lines) {
            if (i >= l.values->size()) continue;
            const float v = (*l.values)[i];
            const ImVec2 p = f.to_screen(chart.x_first + chart.x_step * double(i), v);
            if (p.y >= f.min.y && p.y <= f.max.y) dl->AddCircleFilled(p, 3.5f, l.color);
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(l.color), "%s %.5g%s", l.name, double(v), chart.units);
        }
        ImGui::EndTooltip();
    }
}

void bar_chart(const char* id, ImVec2 size, const BarChart& chart) {
    ImVec2 outer_min, outer_max;
    outer_rect(size, outer_min, outer_max);
    ImGui::InvisibleButton(id, ImVec2(outer_max.x - outer_min.x, outer_max.y - outer_min.y));
    const bool hovered = ImGui::IsItemHovered();
    size_t rows = chart.categories.size();
    const bool two = !chart.values[1].empty();
    if (rows == 0) return;

    float max_value = 0;
    for (const auto& series : chart.values)
        for (float v : series) max_value = std::max(max_value, v);
    double hi = std::max(0.05, double(max_value));
    double lo = 0;
    widen_to_ticks(lo, hi, 4);
    const Axis x{0, hi, chart.x_label}, y{0, double(rows), nullptr};
    float label_w = 0;
    for (const std::string& c : chart.categories) label_w = std::max(label_w, ImGui::CalcTextSize(c.c_str()).x);
    // The data area: the category labels take the place of y tick labels.
    Frame f = frame_inside(outer_min, outer_max, x, Axis{});
    f.y = y;
    f.min.x = outer_min.x + label_w + 2 * kGap;
    f.min.y = outer_min.y + 2;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 text = style_color(ImGuiCol_Text, 0.9f);
    // x axis only (no y ticks): draw_axes on a frame whose y axis has a single tick range.
    {
        const Ticks xt = ticks_of(f.x, f.max.x - f.min.x, 60.0f);
        const ImU32 faint = style_color(ImGuiCol_Border, 0.45f), axis = style_color(ImGuiCol_Border, 1.0f);
        float last_right = -1e6f, label_left = f.max.x + 1e6f;
        if (f.x.label) {
            label_left = f.max.x - ImGui::CalcTextSize(f.x.label).x;
            dl->AddText(ImVec2(label_left, f.max.y + kTickLength + 1), style_color(ImGuiCol_Text, 0.75f), f.x.label);
        }
        for (double v : xt.values) {
            const float sx = f.to_screen(v, 0).x;
            dl->AddLine(ImVec2(sx, f.min.y), ImVec2(sx, f.max.y), faint);
            dl->AddLine(ImVec2(sx, f.max.y), ImVec2(sx, f.max.y + kTickLength), axis);
            const std::string label = tick_label(v, xt.decimals);
            const float w = ImGui::CalcTextSize(label.c_str()).x;
            const float left = std::max(f.min.x - 2, sx - w * 0.5f);
            if (left < last_right + kGap || left + w > label_left - kGap) continue;
            dl->AddText(ImVec2(left, f.max.y + kTickLength + 1), style_color(ImGuiCol_Text, 0.75f), label.c_str());
            last_right = left + w;
        }
        dl->AddLine(ImVec2(f.min.x, f.max.y), ImVec2(f.max.x, f.max.y), axis);
        dl->AddLine(ImVec2(f.min.x, f.min.y), ImVec2(f.min.x, f.max.y), axis);
    }
    // As many categories (the first ones) as fit with rows at least 0.85 lines high.
    const float line_h = ImGui::GetTextLineHeight();
    rows = std::min(rows, size_t(std::max(1.0f, (f.max.y - f.min.y) / (line_h * 0.85f))));
    const float row_h = (f.max.y - f.min.y) / float(rows);
    const float bar_h = std::max(2.0f, row_h * (two ? 0.38f : 0.7f));
    const float line = ImGui::GetTextLineHeight();
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    int hovered_row = -1;
    if (hovered && mouse.y >= f.min.y && mouse.y < f.max.y) hovered_row = int((mouse.y - f.min.y) / row_h);
    for (size_t r = 0; r < rows; ++r) {
        const float top = f.min.y + row_h * float(r);
        const float centre = top + row_h * 0.5f;
        if (int(r) == hovered_row)
            dl->AddRectFilled(ImVec2(outer_min.x, top), ImVec2(f.max.x, top + row_h), style_color(ImGuiCol_HeaderHovered, 0.5f));
        const std::string& c = chart.categories[r];
        dl->AddText(ImVec2(f.min.x - kGap - ImGui::CalcTextSize(c.c_str()).x, centre - line * 0.5f), text, c.c_str());
        const float y0 = two ? centre - bar_h : centre - bar_h * 0.5f;
        for (int s = 0; s < (two ? 2 : 1); ++s) {
            const float v = r < chart.values[s].size() ? chart.values[s][r] : 0.0f;
            const float x1 = f.to_screen(std::clamp(double(v), 0.0, hi), 0).x;
            const float y = y0 + bar_h * float(s);
            dl->AddRectFilled(ImVec2(f.min.x + 1, y), ImVec2(std::max(f.min.x + 2, x1), y + bar_h - 1), chart.colors[s]);
        }
    }
    if (hovered_row >= 0 && size_t(hovered_row) < rows) {
        ImGui::BeginTooltip();
        ImGui::TextUnformatted(chart.categories[size_t(hovered_row)].c_str());
        for (int s = 0; s < (two ? 2 : 1); ++s)
            if (size_t(hovered_row) < chart.values[s].size())
                ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(chart.colors[s]), "%s %.4f", chart.names[s],
                                   double(chart.values[s][size_t(hovered_row)]));
        ImGui::EndTooltip();
    }
}

}  // namespace app::plot
