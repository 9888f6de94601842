// Implementation of app.h: the panel registry, the weights slots (fetched by
// web/genlab-weights.js, handed over through bridge.cpp) and SharedDigits.
//
// [SECTION] Weights  — slots keyed by file name; JS does the fetching, C++ the validation
// [SECTION] Data     — non-weights files (the MNIST test subset), same hand-off, no parsing
// [SECTION] Panels   — registration at static-init time, instances built on first use
#include "app/app.h"

#include "app/app_internal.h"
#include "app/bridge.h"
#include "app/ui_models.h"

#include "imgui.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace app {

// ---------------------------------------------------------------------------------------------
// [SECTION] Weights

namespace {

std::map<std::string, WeightsSlot>& weight_slots() {
    static std::map<std::string, WeightsSlot> slots;  // std::map: references stay valid
    return slots;
}

// kind: "weights" (URL weights/<file>, checked against the manifest) or "data" (data/<file>).
void start_fetch(const std::string& file, const char* kind) {
    page::fetch_file(file, kind);
}

// received/total in bytes from JS; total 0 = unknown (compressed transfer, no manifest size).
void set_download_progress(double& progress, double& received_bytes, bool& total_known,
                           double received, double total) {
    received_bytes = std::max(received, 0.0);
    total_known = total > 0;
    progress = total_known ? std::clamp(received / total, 0.0, 1.0) : 0.0;
}

// A bar with the percentage when the total is known, otherwise an empty bar with the MB so far.
void draw_download_progress(double progress, double received_bytes, bool total_known) {
    char overlay[48];
    if (total_known) std::snprintf(overlay, sizeof overlay, "%.0f%%", progress * 100.0);
    else std::snprintf(overlay, sizeof overlay, "%.1f MB received", received_bytes / 1048576.0);
    ImGui::ProgressBar(static_cast<float>(progress),
                       ImVec2(std::min(ImGui::GetContentRegionAvail().x, 360.0f), 0), overlay);
}

}  // namespace

WeightsSlot& request_weights(const std::string& file) {
    auto& slots = weight_slots();
    auto it = slots.find(file);
    if (it != slots.end()) return it->second;
    WeightsSlot& slot = slots[file];
    slot.file = file;
    slot.status = WeightsStatus::Loading;
    start_fetch(file, "weights");
    return slot;
}

void retry_weights(const std::string& file) {
    WeightsSlot& slot = request_weights(file);
    if (slot.status == WeightsStatus::Loading) return;
    slot.status = WeightsStatus::Loading;
    slot.progress = 0.0;
    slot.received_bytes = 0.0;
    slot.total_known = false;
    slot.error.clear();
    start_fetch(file, "weights");
}

void fail_weights(const std::string& file, const std::string& message) {
    WeightsSlot& slot = weight_slots()[file];
    slot.file = file;
    slot.status = WeightsStatus::Failed;
    slot.error = message;
    slot.data.reset();
}

void provide_weights(const std::string& file, std::vector<uint8_t> bytes, const std::string& label) {
    auto parsed = std::make_shared<io::SafetensorsFile>(io::parse_safetensors(std::move(bytes), label));
    WeightsSlot& slot = weight_slots()[file];
    slot.file = file;
    slot.data = std::move(parsed);
    slot.status = WeightsStatus::Ready;
    slot.progress = 1.0;
    slot.error.clear();
    ++slot.generation;
}

bool weights_gate(WeightsSlot& slot, const char* what) {
    if (slot.status == WeightsStatus::Ready) return true;
    ImGui::PushID(slot.file.c_str());
    if (slot.status == WeightsStatus::Failed) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.5f, 1.0f));
        ImGui::PushTextWrapPos(0.0f);
        ImGui::Text("Could not load the %s (weights/%s):", what, slot.file.c_str());
        ImGui::TextUnformatted(slot.error.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
        if (ImGui::Button("Retry")) retry_weights(slot.file);
        if (Panel* p = active_panel()) remember_item_rect(std::string(p->id()) + "/retry:" + slot.file);
    } else {
        ImGui::Text("Loading the %s (weights/%s)...", what, slot.file.c_str());
        draw_download_progress(slot.progress, slot.received_bytes, slot.total_known);
    }
    ImGui::PopID();
    return false;
}

void on_weights_progress(const std::string& file, double received, double total) {
    WeightsSlot& slot = request_weights(file);
    if (slot.status != WeightsStatus::Loading) return;
    set_download_progress(slot.progress, slot.received_bytes, slot.total_known, received, total);
}

void on_weights_loaded(const std::string& file, std::vector<uint8_t> bytes) {
    try {
        provide_weights(file, std::move(bytes), "weights/" + file);
    } catch (const std::exception& e) {
        fail_weights(file, e.what());
    }
}

void on_weights_failed(const std::string& file, const std::string& message) {
    fail_weights(file, message);
}

nlohmann::json weights_state() {
    nlohmann::json out = nlohmann::json::object();
    static const char* names[] = {"idle", "loading", "ready", "failed"};
    for (const auto& [file, slot] : weight_slots()) {
        nlohmann::json s = {{"status", names[static_cast<int>(slot.status)]},
                            {"progress", slot.progress},
                            {"received_bytes", slot.received_bytes},
                            {"generation", slot.generation}};
        if (!slot.error.empty()) s["error"] = slot.error;
        out[file] = s;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Data

namespace {
std::map<std::string, DataSlot>& data_slots() {
    static std::map<std::string, DataSlot> slots;
    return slots;
}
}  // namespace

DataSlot& request_data(const std::string& file) {
    auto& slots = data_slots();
    auto it = slots.find(file);
    if (it != slots.end()) return it->second;
    DataSlot& slot = slots[file];
    slot.file = file;
    slot.status = WeightsStatus::Loading;
    start_fetch(file, "data");
    return slot;
}

void retry_data(const std::string& file) {
    DataSlot& slot = request_data(file);
    if (slot.status == WeightsStatus::Loading) return;
    slot.status = WeightsStatus::Loading;
    slot.progress = 0.0;
    slot.received_bytes = 0.0;
    slot.total_known = false;
    slot.error.clear();
    start_fetch(file, "data");
}

bool data_gate(DataSlot& slot, const char* what) {
    if (slot.status == WeightsStatus::Ready) return true;
    ImGui::PushID(slot.file.c_str());
    if (slot.status == WeightsStatus::Failed) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.5f, 1.0f));
        ImGui::PushTextWrapPos(0.0f);
        ImGui::Text("Could not load the %s (data/%s):", what, slot.file.c_str());
        ImGui::TextUnformatted(slot.error.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
        if (ImGui::Button("Retry")) retry_data(slot.file);
    } else {
        ImGui::Text("Loading the %s (data/%s)...", what, slot.file.c_str());
        draw_download_progress(slot.progress, slot.received_bytes, slot.total_known);
    }
    ImGui::PopID();
    return false;
}

void on_data_progress(const std::string& file, double received, double total) {
    DataSlot& slot = request_data(file);
    if (slot.status != WeightsStatus::Loading) return;
    set_download_progress(slot.progress, slot.received_bytes, slot.total_known, received, total);
}

void on_data_loaded(const std::string& file, std::vector<uint8_t> bytes) {
    DataSlot& slot = request_data(file);
    slot.bytes = std::move(bytes);
    slot.status = WeightsStatus::Ready;
    slot.progress = 1.0;
    slot.error.clear();
    ++slot.generation;
}

void on_data_failed(const std::string& file, const std::string& message) {
    DataSlot& slot = request_data(file);
    slot.status = WeightsStatus::Failed;
    slot.error = message;
    slot.bytes.clear();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Panels

namespace {

struct Registration {
    PanelFactory factory;
    int order;
};

std::vector<Registration>& registrations() {
    static std::vector<Registration> list;
    return list;
}

std::string& active_id() {
    static std::string id;
    return id;
}

std::string& pending_tab() {
    static std::string id;
    return id;
}

}  // namespace

bool register_panel(PanelFactory factory, int order) {
    registrations().push_back({factory, order});
    return true;
}

std::vector<std::unique_ptr<Panel>>& panels() {
    static std::vector<std::unique_ptr<Panel>> list = [] {
        std::vector<Registration> regs = registrations();
        std::stable_sort(regs.begin(), regs.end(),
                         [](const Registration& a, const Registration& b) { return a.order < b.order; });
        std::vector<std::unique_ptr<Panel>> built;
        for (const Registration& r : regs) built.push_back(r.factory());
        return built;
    }();
    return list;
}

Panel* find_panel(const std::string& id) {
    for (auto& p : panels())
        if (id == p->id()) return p.get();
    return nullptr;
}

Panel* active_panel() {
    Panel* p = find_panel(active_id());
    if (!p && !panels().empty()) p = panels().front().get();
    return p;
}

void set_active_panel(const std::string& id) {
    if (!find_panel(id)) throw std::invalid_argument("no panel \"" + id + "\"");
    active_id() = id;
    request_tab_switch(id);
}

void note_active_panel(const std::string& id) { active_id() = id; }

std::string take_tab_switch() {
    std::string id;
    id.swap(pending_tab());
    return id;
}

void request_tab_switch(const std::string& id) { pending_tab() = id; }

namespace {
std::map<std::string, TrainWorkerClient*>& train_worker_clients() {
    static std::map<std::string, TrainWorkerClient*> clients;
    return clients;
}
}  // namespace

void register_train_worker_client(const std::string& name, TrainWorkerClient* client) {
    train_worker_clients()[name] = client;
}

TrainWorkerClient* train_worker_client(const std::string& name) {
    auto it = train_worker_clients().find(name);
    return it == train_worker_clients().end() ? nullptr : it->second;
}

SharedDigits& shared_digits() {
    static SharedDigits digits;
    return digits;
}

}  // namespace app
