#include "train/job_runner.h"

#include "io/text_corpus.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>

namespace train {

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

nlohmann::json JobRunner::command(const nlohmann::json& c) {
    try {
        if (!c.is_object() || !c.contains("cmd") || !c["cmd"].is_string())
            throw std::invalid_argument("a training command is a JSON object with a \"cmd\" string");
        const std::string cmd = c["cmd"].get<std::string>();
        if (cmd == "setup") {
            const JobKind kind = parse_job_kind(c.value("kind", std::string("vae")));
            std::unique_ptr<TrainJob> job = make_train_job(kind);
            if (c.contains("hparams")) job->configure(c["hparams"]);
            job_ = std::move(job);
            setup_id_ = c.value("id", setup_id_ + 1);
            seed_ = c.value("seed", uint64_t(1));
            running_ = false;
            pending_steps_ = 0;
            error_.clear();
            needs_reset_ = true;
            try_reset();
        } else if (cmd == "hparams") {
            if (!job_) throw std::invalid_argument("hparams before setup");
            job_->configure(c.value("hparams", nlohmann::json::object()));
        } else if (cmd == "play" || cmd == "pause") {
            running_ = cmd == "play";
            window_start_ms_ = 0;
            window_steps_ = 0;
        } else if (cmd == "stop") {
            running_ = false;
            pending_steps_ = 0;
        } else if (cmd == "step") {
            const int64_t n = c.value("n", int64_t(1));
            if (n < 1 || n > 100000) throw std::invalid_argument("n must be in [1, 100000]");
            pending_steps_ += n;
        } else {
            throw std::invalid_argument("unknown training command \"" + cmd +
                                        "\" (setup, hparams, play, pause, stop, step)");
        }
        changed_ = true;
        return {{"ok", true}};
    } catch (const std::exception& e) {
        changed_ = true;
        return {{"error", e.what()}};
    }
}

std::string JobRunner::new_data(const std::function<void()>& store) {
    try {
        store();
        needs_reset_ = true;
        try_reset();
        return "";
    } catch (const std::exception& e) {
        error_ = e.what();
        changed_ = true;
        return error_;
    }
}

std::string JobRunner::set_mnist_bytes(const std::vector<uint8_t>& bytes) {
    return new_data([&] { mnist_ = io::parse_mnist_subset(bytes, "data/mnist-train-subset.bin"); });
}

std::string JobRunner::set_text(const std::string& utf8) {
    const std::string text = io::normalize_text(utf8);
    if (text.size() < 2) {
        error_ = "the text is too short: paste at least a few sentences, then Reset";
        changed_ = true;
        return error_;
    }
    text_ = text;
    needs_reset_ = true;
    try_reset();
    return "";
}

std::string JobRunner::set_latents_bytes(const std::vector<uint8_t>& bytes) {
    return new_data([&] { unpack_latents(bytes, latents_, latent_labels_); });
}

void JobRunner::try_reset() {
    changed_ = true;
    if (!job_ || !needs_reset_) return;
    try {
        if (job_->kind() == JobKind::Rnn) {
            if (text_.empty()) return;
            job_->set_text(text_);
        } else if (job_->kind() == JobKind::Diffusion) {
            if (latents_.rows() == 0) return;
            job_->set_latents(latents_, latent_labels_);
        } else {
            if (mnist_.n == 0) return;
            job_->set_images(mnist_);
        }
        job_->reset(seed_);
        needs_reset_ = false;
        error_.clear();
        unsent_.assign(job_->series_names().size(), {});
        unsent_from_ = 0;
        last_preview_ms_ = -1e300;
        compute_ms_ = 0;
        compute_steps_ = 0;
        steps_per_second_ = 0;
    } catch (const std::exception& e) {
        error_ = e.what();
        running_ = false;
    }
}

int JobRunner::run(double budget_ms) {
    if (!busy()) return 0;
    const double t0 = now_ms(), deadline = t0 + budget_ms;
    if (window_start_ms_ == 0) window_start_ms_ = t0;
    int done = 0;
    std::vector<float> values;
    try {
        while ((running_ || pending_steps_ > 0) && (done == 0 || now_ms() < deadline)) {
            const int64_t before = job_->steps();
            const bool ok = job_->step(values);
            if (pending_steps_ > 0) --pending_steps_;
            ++done;
            if (!ok) {
                // The guard went back to an earlier step: drop the unsent values after it.
                const int64_t keep = std::max<int64_t>(0, job_->steps() - unsent_from_);
                for (auto& s : unsent_) s.resize(std::min<size_t>(s.size(), size_t(keep)));
                if (job_->steps() < unsent_from_) unsent_from_ = job_->steps();
                (void)before;
                changed_ = true;
                continue;
            }
            for (size_t k = 0; k < unsent_.size() && k < values.size(); ++k) unsent_[k].push_back(values[k]);
        }
    } catch (const std::exception& e) {
        error_ = e.what();
        running_ = false;
        pending_steps_ = 0;
        changed_ = true;
    }
    if (!busy()) changed_ = true;  // the last steps of a "step n" go out at once
    const double t1 = now_ms();
    compute_ms_ += t1 - t0;
    compute_steps_ += done;
    window_steps_ += done;
    if (t1 - window_start_ms_ >= 1000) {
        steps_per_second_ = double(window_steps_) * 1000.0 / (t1 - window_start_ms_);
        window_start_ms_ = t1;
        window_steps_ = 0;
    }
    return done;
}

double JobRunner::preview_interval_ms() const {
    return job_ && job_->kind() == JobKind::Rnn ? 1500 : 400;
}

bool JobRunner::snapshot_due(bool force) const {
    if (force || changed_) return true;
    return busy() && now_ms() - last_snapshot_ms_ >= kSnapshotMs;
}

JobSnapshot JobRunner::take_snapshot() {
    JobSnapshot s;
    const double now = now_ms();
    last_snapshot_ms_ = now;
    changed_ = false;
    s.setup_id = setup_id_;
    s.running = running_;
    s.busy = busy();
    s.error = error_;
    s.steps_per_second = busy() ? steps_per_second_ : 0;
    if (!job_) return s;
    s.kind = job_kind_name(job_->kind());
    s.ready = job_->ready();
    s.step = job_->steps();
    s.lr = job_->settings().lr;
    s.batch = job_->settings().batch;
    s.guard_events = job_->guard_events();
    s.guard_message = job_->guard_message();
    if (!s.ready) return s;
    s.describe = job_->describe();
    s.items_per_step = job_->items_per_step();
    s.ms_per_step = compute_steps_ > 0 ? compute_ms_ / double(compute_steps_) : 0;
    s.series_names = job_->series_names();
    s.series_from = unsent_from_;
    s.series.swap(unsent_);
    unsent_.assign(s.series_names.size(), {});
    unsent_from_ = job_->steps();
    if (now - last_preview_ms_ >= preview_interval_ms() || !busy()) {
        try {
            job_->preview(s.preview);
            s.has_preview = true;
        } catch (const std::exception& e) {
            s.error = e.what();
        }
        last_preview_ms_ = now;
    }
    return s;
}

std::vector<uint8_t> JobRunner::serialise(std::string& file, std::string& label) {
    if (!job_ || !job_->ready()) throw std::invalid_argument("nothing trained yet: wait for the data, then Play");
    return job_->serialise(file, label);
}

// Header: the scalars, plus the lengths of the float runs in this order: every series, the
// image, the points, the point labels.
nlohmann::json pack_snapshot(const JobSnapshot& s, std::vector<float>& floats) {
    floats.clear();
    std::vector<size_t> series_lengths;
    for (const auto& v : s.series) {
        series_lengths.push_back(v.size());
        floats.insert(floats.end(), v.begin(), v.end());
    }
    floats.insert(floats.end(), s.preview.image.begin(), s.preview.image.end());
    floats.insert(floats.end(), s.preview.points.begin(), s.preview.points.end());
    floats.insert(floats.end(), s.preview.point_labels.begin(), s.preview.point_labels.end());
    return {{"setup_id", s.setup_id}, {"kind", s.kind}, {"ready", s.ready}, {"running", s.running},
            {"busy", s.busy}, {"step", s.step}, {"series_from", s.series_from}, {"series_names", s.series_names},
            {"series_lengths", series_lengths}, {"has_preview", s.has_preview},
            {"image_side", s.preview.image_side}, {"image_length", s.preview.image.size()},
            {"points_length", s.preview.points.size()}, {"labels_length", s.preview.point_labels.size()},
            {"text", s.preview.text}, {"steps_per_second", s.steps_per_second},
            {"ms_per_step", s.ms_per_step}, {"items_per_step", s.items_per_step}, {"lr", s.lr},
            {"batch", s.batch}, {"describe", s.describe}, {"error", s.error},
            {"guard_message", s.guard_message}, {"guard_events", s.guard_events}};
}

JobSnapshot unpack_snapshot(const nlohmann::json& h, const float* floats, size_t count) {
    JobSnapshot s;
    s.setup_id = h.at("setup_id").get<int>();
    s.kind = h.at("kind").get<std::string>();
    s.ready = h.at("ready").get<bool>();
    s.running = h.at("running").get<bool>();
    s.busy = h.at("busy").get<bool>();
    s.step = h.at("step").get<int64_t>();
    s.series_from = h.at("series_from").get<int64_t>();
    s.series_names = h.at("series_names").get<std::vector<std::string>>();
    const auto lengths = h.at("series_lengths").get<std::vector<size_t>>();
    s.has_preview = h.at("has_preview").get<bool>();
    s.preview.image_side = h.at("image_side").get<int>();
    const size_t image = h.at("image_length").get<size_t>(), points = h.at("points_length").get<size_t>(),
                 labels = h.at("labels_length").get<size_t>();
    size_t total = image + points + labels;
    for (size_t n : lengths) total += n;
    if (total != count || size_t(s.preview.image_side) * size_t(s.preview.image_side) != image)
        throw std::invalid_argument("training snapshot: " + std::to_string(count) +
                                    " floats received, the header describes " + std::to_string(total));
    size_t at = 0;
    for (size_t n : lengths) {
        s.series.emplace_back(floats + at, floats + at + n);
        at += n;
    }
    s.preview.image.assign(floats + at, floats + at + image);
    at += image;
    s.preview.points.assign(floats + at, floats + at + points);
    at += points;
    s.preview.point_labels.assign(floats + at, floats + at + labels);
    s.preview.text = h.at("text").get<std::string>();
    s.steps_per_second = h.at("steps_per_second").get<double>();
    s.ms_per_step = h.at("ms_per_step").get<double>();
    s.items_per_step = h.at("items_per_step").get<int64_t>();
    s.lr = h.at("lr").get<float>();
    s.batch = h.at("batch").get<int>();
    s.describe = h.at("describe").get<std::string>();
    s.error = h.at("error").get<std::string>();
    s.guard_message = h.at("guard_message").get<std::string>();
    s.guard_events = h.at("guard_events").get<int>();
    return s;
}

}  // namespace train
