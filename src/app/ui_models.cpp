#include "app/ui_models.h"

#include "io/image_write.h"

#include <algorithm>
#include <map>
#include <cmath>
#include <stdexcept>

namespace app {

models::Gan* gan_model(bool conditional) {
    static models::Gan gan, cgan;
    static int gan_generation = -1, cgan_generation = -1;
    auto load = [conditional](models::Gan& g, const io::SafetensorsFile& file) {
        models::load_gan_generator(g, file);
        if ((g.config.classes > 0) != conditional)
            throw std::runtime_error(file.source + " holds a " +
                                     (g.config.classes > 0 ? "conditional GAN" : "unconditional GAN") +
                                     ", expected a" + (conditional ? " conditional" : "n unconditional") +
                                     " one (\"model\" in its metadata)");
    };
    return conditional ? loaded(kCganFile, cgan, cgan_generation, load)
                       : loaded(kGanFile, gan, gan_generation, load);
}

static models::Vae* vae_model(const char* file, int latent, models::Vae& vae, int& generation) {
    return loaded(file, vae, generation, [latent](models::Vae& v, const io::SafetensorsFile& f) {
        models::load_vae(v, f);
        if (latent > 0 && v.config.latent != latent)
            throw std::runtime_error(f.source + ": latent size " + std::to_string(v.config.latent) +
                                     ", this panel needs " + std::to_string(latent));
    });
}

models::Vae* vae16_model() {
    static models::Vae vae;
    static int generation = -1;
    return vae_model(kVae16File, 0, vae, generation);
}

models::Vae* vae2_model() {
    static models::Vae vae;
    static int generation = -1;
    return vae_model(kVae2File, 2, vae, generation);
}

models::Classifier* classifier_model() {
    static models::Classifier classifier;
    static int generation = -1;
    return loaded(kClassifierFile, classifier, generation,
                  [](models::Classifier& c, const io::SafetensorsFile& f) { models::load_classifier(c, f); });
}

const io::MnistSplit* mnist_test_digits() {
    static io::MnistSplit split;
    static int generation = -1;
    DataSlot& slot = request_data(kMnistTestFile);
    if (slot.status != WeightsStatus::Ready) return nullptr;
    if (generation != slot.generation) {
        try {
            split = io::parse_mnist_subset(slot.bytes, "data/" + slot.file);
            if (split.rows != 28 || split.cols != 28 || split.n < 1)
                throw std::runtime_error("data/" + slot.file + ": expected 28x28 images");
            generation = slot.generation;
        } catch (const std::exception& e) {
            on_data_failed(slot.file, e.what());
            return nullptr;
        }
    }
    return &split;
}

bool digit_image(const GrayTexture& texture, float size, bool selected) {
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const float aspect = texture.height() > 0 ? float(texture.height()) / float(texture.width()) : 1.0f;
    const ImVec2 extent(size, size * aspect);
    bool clicked = false;
    if (texture.valid()) {
        ImGui::PushID(texture.im_id());
        clicked = ImGui::InvisibleButton("##digit", extent);
        ImGui::PopID();
        ImDrawList* dl = ImGui::GetWindowDrawList();
        dl->AddImage(texture.im_id(), pos, ImVec2(pos.x + extent.x, pos.y + extent.y));
        const ImU32 border = selected ? IM_COL32(255, 190, 60, 255)
                             : ImGui::IsItemHovered() ? IM_COL32(140, 160, 200, 255)
                                                      : IM_COL32(60, 66, 80, 255);
        dl->AddRect(ImVec2(pos.x - 1, pos.y - 1), ImVec2(pos.x + extent.x + 1, pos.y + extent.y + 1),
                    border, 0.0f, 0, selected ? 2.5f : 1.0f);
    } else {
        ImGui::Dummy(extent);
    }
    return clicked;
}

void classify_images(const nn::Matrix& images, std::vector<int>& labels,
                     std::vector<float>& confidences) {
    labels.clear();
    confidences.clear();
    models::Classifier* classifier = classifier_model();
    if (!classifier || images.rows() == 0) return;
    models::classify(images, *classifier, labels, confidences);
}

std::vector<int> row_to_pixels(const nn::Matrix& images, int row) {
    std::vector<int> out(static_cast<size_t>(images.cols()));
    for (int j = 0; j < images.cols(); ++j) out[j] = io::float_to_u8(images(row, j));
    return out;
}

ImU32 label_color(int label, float alpha) {
    // Tableau 10.
    static const ImU32 colors[10] = {
        IM_COL32(78, 121, 167, 255),  IM_COL32(242, 142, 43, 255), IM_COL32(225, 87, 89, 255),
        IM_COL32(118, 183, 178, 255), IM_COL32(89, 161, 79, 255),  IM_COL32(237, 201, 72, 255),
        IM_COL32(176, 122, 161, 255), IM_COL32(255, 157, 167, 255), IM_COL32(156, 117, 95, 255),
        IM_COL32(186, 176, 172, 255)};
    ImU32 c = colors[std::clamp(label, 0, 9)];
    const ImU32 a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f);
    return (c & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

std::vector<float> center_like_mnist(const std::vector<float>& drawing) {
    constexpr int S = 28;
    if (drawing.size() != S * S) return drawing;
    int x0 = S, y0 = S, x1 = -1, y1 = -1;
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
            if (drawing[y * S + x] > 0.05f) {
                x0 = std::min(x0, x), x1 = std::max(x1, x);
                y0 = std::min(y0, y), y1 = std::max(y1, y);
            }
    if (x1 < 0) return drawing;
    // Scale the ink box so its longer side is 20 pixels (bilinear resampling).
    const float bw = float(x1 - x0 + 1), bh = float(y1 - y0 + 1);
    const float scale = 20.0f / std::max(bw, bh);
    const int ow = std::max(1, int(std::lround(bw * scale))), oh = std::max(1, int(std::lround(bh * scale)));
    std::vector<float> box(static_cast<size_t>(ow) * oh, 0.0f);
    auto at = [&](int x, int y) {
        if (x < 0 || y < 0 || x >= S || y >= S) return 0.0f;
        return drawing[y * S + x];
    };
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            const float sx = x0 + (x + 0.5f) / scale - 0.5f, sy = y0 + (y + 0.5f) / scale - 0.5f;
            const int ix = int(std::floor(sx)), iy = int(std::floor(sy));
            const float fx = sx - ix, fy = sy - iy;
            box[y * ow + x] = (1 - fx) * (1 - fy) * at(ix, iy) + fx * (1 - fy) * at(ix + 1, iy) +
                              (1 - fx) * fy * at(ix, iy + 1) + fx * fy * at(ix + 1, iy + 1);
        }
    // Centre of mass of the box -> the image centre (14, 14).
    double mass = 0, cx = 0, cy = 0;
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            const double v = box[y * ow + x];
            mass += v, cx += v * x, cy += v * y;
        }
    if (mass <= 0) return drawing;
    const int ox = int(std::lround(14.0 - cx / mass - 0.5)), oy = int(std::lround(14.0 - cy / mass - 0.5));
    std::vector<float> out(S * S, 0.0f);
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            const int tx = x + ox, ty = y + oy;
            if (tx >= 0 && ty >= 0 && tx < S && ty < S) out[ty * S + tx] = std::clamp(box[y * ow + x], 0.0f, 1.0f);
        }
    return out;
}

namespace {
std::map<std::string, ImVec4>& item_rects() {
    static std::map<std::string, ImVec4> rects;
    return rects;
}
}  // namespace

void remember_item_rect(const std::string& name) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    item_rects()[name] = ImVec4(a.x, a.y, b.x - a.x, b.y - a.y);
}

nlohmann::json item_rect(const std::string& name) {
    auto it = item_rects().find(name);
    if (it == item_rects().end()) return {{"error", "no widget \"" + name + "\" drawn yet"}};
    const ImVec4 r = it->second;
    return {{"x", r.x}, {"y", r.y}, {"w", r.z}, {"h", r.w}};
}

}  // namespace app
