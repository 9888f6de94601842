#include "app/textures.h"

#include <GLES3/gl3.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace app {

GrayTexture::~GrayTexture() {
    if (id_) glDeleteTextures(1, &id_);
}

GrayTexture::GrayTexture(GrayTexture&& other) noexcept
    : id_(std::exchange(other.id_, 0u)), width_(other.width_), height_(other.height_) {}

GrayTexture& GrayTexture::operator=(GrayTexture&& other) noexcept {
    if (this != &other) {
        if (id_) glDeleteTextures(1, &id_);
        id_ = std::exchange(other.id_, 0u);
        width_ = other.width_;
        height_ = other.height_;
    }
    return *this;
}

void GrayTexture::upload(const uint8_t* pixels, int width, int height) {
    // WebGL2 has no texture swizzle, so gray is expanded to RGBA here (small images only).
    rgba_.resize(static_cast<size_t>(width) * height * 4);
    for (int i = 0; i < width * height; ++i) {
        const uint8_t v = pixels[i];
        rgba_[4 * i + 0] = v;
        rgba_[4 * i + 1] = v;
        rgba_[4 * i + 2] = v;
        rgba_[4 * i + 3] = 255;
    }
    if (!id_ || width != width_ || height != height_) {
        if (!id_) glGenTextures(1, &id_);
        glBindTexture(GL_TEXTURE_2D, id_);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                     rgba_.data());
        width_ = width;
        height_ = height;
    } else {
        glBindTexture(GL_TEXTURE_2D, id_);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE,
                        rgba_.data());
    }
    glBindTexture(GL_TEXTURE_2D, 0);  // uploads happen outside ImGui rendering: nothing to restore
}

void GrayTexture::upload(const float* values, int width, int height) {
    std::vector<uint8_t> pixels(static_cast<size_t>(width) * height);
    for (size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(values[i], 0.0f, 1.0f) * 255.0f));
    upload(pixels.data(), width, height);
}

}  // namespace app
