#include "models/latent_path.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace models {

static void check_sizes(const nn::RowVector& a, const nn::RowVector& b, const char* what) {
    if (a.size() != b.size())
        throw std::invalid_argument(std::string(what) + ": latent vectors differ in size (" +
                                    std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
                                    "); both must come from the same model");
}

nn::RowVector lerp_latent(const nn::RowVector& a, const nn::RowVector& b, float t) {
    check_sizes(a, b, "lerp_latent");
    return (1.0f - t) * a + t * b;
}

nn::RowVector slerp_latent(const nn::RowVector& a, const nn::RowVector& b, float t) {
    check_sizes(a, b, "slerp_latent");
    const double na = a.cast<double>().norm(), nb = b.cast<double>().norm();
    if (na < 1e-12 || nb < 1e-12) return lerp_latent(a, b, t);
    double cos_omega = a.cast<double>().dot(b.cast<double>()) / (na * nb);
    cos_omega = std::fmax(-1.0, std::fmin(1.0, cos_omega));
    const double omega = std::acos(cos_omega);
    const double sin_omega = std::sin(omega);
    if (sin_omega < 1e-6) return lerp_latent(a, b, t);
    const double wa = std::sin((1.0 - t) * omega) / sin_omega;
    const double wb = std::sin(t * omega) / sin_omega;
    return (wa * a.cast<double>() + wb * b.cast<double>()).cast<float>();
}

}  // namespace models
