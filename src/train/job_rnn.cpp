// The char-RNN job: a one-layer GRU (or LSTM) of 96 units on the page's text, truncated BPTT
// over `batch` streams of 32 characters, with a learning-rate schedule so the first minute
// learns fast and then settles: linear warm-up over kWarmupSteps from 10% of lr, then a cosine
// decay to kFloor * lr at kDecaySteps, constant afterwards.
#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "models/char_rnn.h"
#include "train/char_rnn_trainer.h"
#include "train/job.h"
#include "train/lr_schedule.h"

#include <algorithm>

namespace train {
namespace {

constexpr int64_t kWarmupSteps = 100;
constexpr int64_t kDecaySteps = 3000;
constexpr float kFloor = 0.1f;
constexpr int kChunk = 32;  // T

class RnnJob : public TrainJob {
public:
    JobKind kind() const override { return JobKind::Rnn; }
    std::vector<std::string> series_names() const override { return {"bits/char", "lr"}; }
    int64_t items_per_step() const override { return int64_t(trainer_.streams) * trainer_.chunk; }
    std::string describe() const override {
        return "1 " + settings_.cell + " layer of 96, " + std::to_string(rnn_.vocab.size()) +
               "-character vocabulary, " + std::to_string(text_.size()) + " characters of text";
    }

    void preview(JobPreview& out) override {
        out = JobPreview();
        out.text = models::generate_text(rnn_, "\n", 240, 0.8f, 0, uint64_t(steps_) + 1);
    }

    std::vector<uint8_t> serialise(std::string& file, std::string& label) override {
        file = rnn_.config.cell == "gru" ? "char_gru.safetensors" : "char_lstm.safetensors";
        label = "browser-trained char-RNN";
        return io::serialize_safetensors(
            models::char_rnn_params(rnn_),
            models::char_rnn_metadata(rnn_, {{"trained_with", "GenLab browser, " +
                                                                  std::to_string(steps_) + " steps"}}));
    }
    nn::ParamList params() override { return models::char_rnn_params(rnn_); }

    // Learning rate at a step: warm-up, cosine decay, floor (see the top of the file).
    float scheduled_lr(int64_t step) const {
        LrSchedule schedule = cosine_decay(settings_.lr, kFloor, kWarmupSteps, kDecaySteps);
        schedule.warmup_steps = kWarmupSteps;
        schedule.warmup_from = 0.1f;
        return scheduled_learning_rate(schedule, step);
    }

protected:
    void init(uint64_t seed) override {
        models::CharRnnConfig c;
        c.cell = settings_.cell;
        c.embed = 16;
        c.hidden = 96;
        c.layers = 1;
        models::char_rnn_init(rnn_, c, io::build_vocab(text_), seed);
        CharRnnTrainOptions o;
        o.steps = kChunk;
        o.batch = settings_.batch;
        o.lr = scheduled_lr(0);
        o.seed = seed;
        trainer_ = CharRnnTrainer();
        char_rnn_trainer_init(trainer_, rnn_, text_, o);
    }
    void train_step(std::vector<float>& values) override {
        trainer_.options.lr = scheduled_lr(trainer_.step);
        const CharRnnStepStats st = char_rnn_train_step(trainer_, rnn_);
        values = {st.bits_per_char, st.lr};
    }
    void save_good() override { good_rnn_ = rnn_, good_trainer_ = trainer_; }
    void restore_good() override { rnn_ = good_rnn_, trainer_ = good_trainer_; }
    void apply_settings() override {}  // the schedule reads settings_.lr every step

private:
    models::CharRnn rnn_, good_rnn_;
    CharRnnTrainer trainer_, good_trainer_;
};

}  // namespace

std::unique_ptr<TrainJob> make_rnn_job() { return std::make_unique<RnnJob>(); }

}  // namespace train
