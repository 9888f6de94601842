// The training worker's wasm module: a JobRunner behind a small extern "C" surface, driven by
// web/genlab-train-worker.js inside a dedicated Web Worker. Built from src/nn, src/io,
// src/models and src/train only (no SDL, ImGui or GL): target genlab_train_worker.
//
// Replies and snapshot headers are JSON strings in a static buffer, valid until the next call;
// the snapshot's floats and the weights bytes stay in static vectors the JS copies out (and
// then transfers to the page).
#include "train/job_runner.h"

#include <emscripten/emscripten.h>
#include <emscripten/heap.h>

#include <malloc.h>

#include <string>
#include <vector>

namespace {

train::JobRunner g_runner;
std::string g_text;             // the last returned string
std::vector<float> g_floats;    // the last snapshot's floats
std::vector<uint8_t> g_bytes;   // the last serialised weights

const char* keep(std::string s) {
    g_text = std::move(s);
    return g_text.c_str();
}

nlohmann::json heap_stats() {
    const struct mallinfo info = mallinfo();
    return {{"heap_bytes", double(emscripten_get_heap_size())}, {"heap_used", double(info.uordblks)}};
}

}  // namespace

extern "C" {

// A command (see train/job_runner.h) as JSON; returns the reply as JSON.
EMSCRIPTEN_KEEPALIVE const char* genlab_worker_command(const char* json) {
    nlohmann::json c = nlohmann::json::parse(json ? json : "", nullptr, /*allow_exceptions=*/false);
    if (c.is_discarded()) return keep(nlohmann::json({{"error", "training command is not JSON"}}).dump());
    return keep(g_runner.command(c).dump());
}

// Training data: what = "mnist" (the mnist-train-subset.bin bytes), "text" (UTF-8) or
// "latents" (train::pack_latents: the diffusion job's encoded digits).
EMSCRIPTEN_KEEPALIVE const char* genlab_worker_data(const char* what, const uint8_t* bytes, int length) {
    const std::string kind = what ? what : "";
    std::string error;
    if (kind == "mnist") error = g_runner.set_mnist_bytes(std::vector<uint8_t>(bytes, bytes + std::max(0, length)));
    else if (kind == "text") error = g_runner.set_text(std::string(reinterpret_cast<const char*>(bytes), size_t(std::max(0, length))));
    else if (kind == "latents") error = g_runner.set_latents_bytes(std::vector<uint8_t>(bytes, bytes + std::max(0, length)));
    else error = "training data must be \"mnist\", \"text\" or \"latents\", got \"" + kind + "\"";
    return keep(error.empty() ? nlohmann::json({{"ok", true}}).dump() : nlohmann::json({{"error", error}}).dump());
}

// Trains for about budget_ms; returns the steps done.
EMSCRIPTEN_KEEPALIVE int genlab_worker_run(double budget_ms) { return g_runner.run(budget_ms); }
EMSCRIPTEN_KEEPALIVE int genlab_worker_busy() { return g_runner.busy() ? 1 : 0; }

// The snapshot header as JSON when one is due (or force), else "". Floats: genlab_worker_floats.
EMSCRIPTEN_KEEPALIVE const char* genlab_worker_snapshot(int force) {
    if (!g_runner.snapshot_due(force != 0)) return keep("");
    nlohmann::json header = train::pack_snapshot(g_runner.take_snapshot(), g_floats);
    header["heap"] = heap_stats();
    return keep(header.dump());
}
EMSCRIPTEN_KEEPALIVE const float* genlab_worker_floats() { return g_floats.data(); }
EMSCRIPTEN_KEEPALIVE int genlab_worker_float_count() { return int(g_floats.size()); }

// Serialises the current model: returns {"file", "label", "length"} (bytes at
// genlab_worker_bytes) or {"error"}.
EMSCRIPTEN_KEEPALIVE const char* genlab_worker_serialise() {
    try {
        std::string file, label;
        g_bytes = g_runner.serialise(file, label);
        return keep(nlohmann::json({{"file", file}, {"label", label}, {"length", g_bytes.size()}}).dump());
    } catch (const std::exception& e) {
        g_bytes.clear();
        return keep(nlohmann::json({{"error", e.what()}}).dump());
    }
}
EMSCRIPTEN_KEEPALIVE const uint8_t* genlab_worker_bytes() { return g_bytes.data(); }

}  // extern "C"
