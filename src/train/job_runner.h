// Drives one TrainJob for the browser: commands in (JSON), steps in time slices, snapshots out.
// The same code runs in the training worker (src/worker/worker_main.cpp) and, when workers are
// unavailable, on the page (src/app/panel_train.cpp), so both paths train identically.
//
// Commands ({"cmd": ...}):
//   setup   {"kind", "hparams": {lr, batch, cell}, "seed", "id"}: a new job of that kind (reset
//           as soon as its data is in); "id" is echoed in every later snapshot so the page can
//           drop snapshots of an earlier setup
//   hparams {lr, batch}   live changes (cell: at the next setup)
//   play / pause          run continuously or stop
//   step    {"n"}         n more steps (also while paused)
//   stop                  pause and drop the steps a "step" left; the model stays as it is
// A snapshot carries the series values appended since the previous snapshot (the page keeps
// the whole history), the preview when one is due, throughput and messages. pack_snapshot turns
// it into a JSON header + one float buffer (the worker transfers it), unpack_snapshot back.
#pragma once

#include "train/job.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace train {

struct JobSnapshot {
    int setup_id = 0;
    std::string kind;
    bool ready = false, running = false;
    bool busy = false;                       // steps are due (running, or a "step n" left)
    int64_t step = 0;
    int64_t series_from = 0;                 // the step index of series[k][0]
    std::vector<std::string> series_names;
    std::vector<std::vector<float>> series;  // new values since the previous snapshot
    bool has_preview = false;
    JobPreview preview;
    double steps_per_second = 0, ms_per_step = 0;
    int64_t items_per_step = 0;
    float lr = 0;
    int batch = 0;
    std::string describe, error, guard_message;
    int guard_events = 0;
};

class JobRunner {
public:
    // Returns {"ok": true} or {"error": "..."} (bad commands never throw).
    nlohmann::json command(const nlohmann::json& command);
    // The data every job of its kind trains on; replaces the previous and resets the job.
    std::string set_mnist_bytes(const std::vector<uint8_t>& bytes);  // "" or the error
    std::string set_text(const std::string& utf8);
    std::string set_latents_bytes(const std::vector<uint8_t>& bytes);  // pack_latents' format
    // Steps until the budget is spent (at least one step when any is due). Returns steps done.
    int run(double budget_ms);
    bool busy() const { return job_ && job_->ready() && (running_ || pending_steps_ > 0); }
    // Due every kSnapshotMs while busy (previews every preview_interval_ms); force = now.
    bool snapshot_due(bool force) const;
    JobSnapshot take_snapshot();
    // Weights file of the current model; throws when there is none yet.
    std::vector<uint8_t> serialise(std::string& file, std::string& label);
    TrainJob* job() { return job_.get(); }

    static constexpr double kSnapshotMs = 250;

private:
    // Runs `store` (parses and keeps new data; throws), then resets the job on it: "" or the error.
    std::string new_data(const std::function<void()>& store);
    void try_reset();
    double preview_interval_ms() const;

    std::unique_ptr<TrainJob> job_;
    int setup_id_ = 0;
    uint64_t seed_ = 1;
    bool running_ = false, needs_reset_ = false, changed_ = true;
    int64_t pending_steps_ = 0;
    io::MnistSplit mnist_;
    std::string text_;
    nn::Matrix latents_;
    std::vector<int> latent_labels_;
    std::string error_;
    // history not yet sent
    std::vector<std::vector<float>> unsent_;
    int64_t unsent_from_ = 0;
    double last_snapshot_ms_ = 0, last_preview_ms_ = -1e300;
    // throughput over windows of >= 1 s of busy time
    double window_start_ms_ = 0, steps_per_second_ = 0, compute_ms_ = 0;
    int64_t window_steps_ = 0, compute_steps_ = 0;
};

double now_ms();  // steady clock, milliseconds

nlohmann::json pack_snapshot(const JobSnapshot& snapshot, std::vector<float>& floats);
// Throws std::invalid_argument when the header and the buffer do not fit together.
JobSnapshot unpack_snapshot(const nlohmann::json& header, const float* floats, size_t count);

}  // namespace train
