// Paths between two latent vectors for morphing: linear and spherical interpolation.
#pragma once

#include "nn/tensor.h"

namespace models {

// (1-t) a + t b.
nn::RowVector lerp_latent(const nn::RowVector& a, const nn::RowVector& b, float t);

// Spherical linear interpolation (Shoemake 1985; White 2016, "Sampling Generative Networks"):
//   omega = angle(a, b);  sin((1-t) omega)/sin(omega) a + sin(t omega)/sin(omega) b.
// Falls back to lerp when a and b are (anti)parallel or one is zero. Throws
// std::invalid_argument when the sizes differ.
nn::RowVector slerp_latent(const nn::RowVector& a, const nn::RowVector& b, float t);

}  // namespace models
