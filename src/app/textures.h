// Grayscale images as GL textures for ImGui::Image: 28x28 digits or grids of them. A texture
// object is created once and re-filled in place (glTexSubImage2D) while its size is unchanged,
// so panels can upload every frame without churning GL objects.
#pragma once

#include "imgui.h"

#include <cstdint>
#include <vector>

namespace app {

class GrayTexture {
public:
    GrayTexture() = default;
    ~GrayTexture();
    GrayTexture(const GrayTexture&) = delete;
    GrayTexture& operator=(const GrayTexture&) = delete;
    GrayTexture(GrayTexture&& other) noexcept;
    GrayTexture& operator=(GrayTexture&& other) noexcept;

    // pixels: width*height uint8, 0 = background (black), 255 = ink (white).
    void upload(const uint8_t* pixels, int width, int height);
    // values: width*height floats in [0, 1] (clamped).
    void upload(const float* values, int width, int height);

    bool valid() const { return id_ != 0; }
    int width() const { return width_; }
    int height() const { return height_; }
    ImTextureID im_id() const { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(id_)); }

private:
    unsigned id_ = 0;
    int width_ = 0, height_ = 0;
    std::vector<uint8_t> rgba_;
};

}  // namespace app
