// The 3D U-Net of the learned completion method, its training step and its weights file.
// The only translation unit that includes libtorch (docs/restore.md, "learned").
#include "reconstruct/restore/learned_net.h"

#include <cmath>
#include <random>
#include <sstream>

#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/optim/adam.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/utils.h>

#include "core/error.h"
#include "core/file_io.h"

namespace muta::restore {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

constexpr const char* kInfoKey = "muta_completion_info";

nn::Conv3d Conv(int in, int out) {
  return nn::Conv3d(nn::Conv3dOptions(in, out, 3).padding(1));
}

struct UNetImpl : nn::Module {
  explicit UNetImpl(int c) {
    e1a = register_module("e1a", Conv(kCompletionInputChannels, c));
    e1b = register_module("e1b", Conv(c, c));
    e2a = register_module("e2a", Conv(c, 2 * c));
    e2b = register_module("e2b", Conv(2 * c, 2 * c));
    e3a = register_module("e3a", Conv(2 * c, 4 * c));
    e3b = register_module("e3b", Conv(4 * c, 4 * c));
    up2 = register_module(
        "up2", nn::ConvTranspose3d(nn::ConvTranspose3dOptions(4 * c, 2 * c, 2).stride(2)));
    d2a = register_module("d2a", Conv(4 * c, 2 * c));
    d2b = register_module("d2b", Conv(2 * c, 2 * c));
    up1 = register_module("up1",
                          nn::ConvTranspose3d(nn::ConvTranspose3dOptions(2 * c, c, 2).stride(2)));
    d1a = register_module("d1a", Conv(2 * c, c));
    d1b = register_module("d1b", Conv(c, c));
    out = register_module("out", nn::Conv3d(nn::Conv3dOptions(c, 1, 1)));
  }
  // x: [B, 4, Z, Y, X] with Z, Y, X multiples of 4; returns logits [B, 1, Z, Y, X].
  torch::Tensor forward(const torch::Tensor& x) {
    auto a = torch::relu(e1b(torch::relu(e1a(x))));
    auto b = torch::relu(e2b(torch::relu(e2a(F::max_pool3d(a, F::MaxPool3dFuncOptions(2))))));
    auto m = torch::relu(e3b(torch::relu(e3a(F::max_pool3d(b, F::MaxPool3dFuncOptions(2))))));
    auto u2 = torch::relu(d2b(torch::relu(d2a(torch::cat({up2(m), b}, 1)))));
    auto u1 = torch::relu(d1b(torch::relu(d1a(torch::cat({up1(u2), a}, 1)))));
    return out(u1);
  }
  nn::Conv3d e1a{nullptr}, e1b{nullptr}, e2a{nullptr}, e2b{nullptr}, e3a{nullptr}, e3b{nullptr};
  nn::ConvTranspose3d up2{nullptr}, up1{nullptr};
  nn::Conv3d d2a{nullptr}, d2b{nullptr}, d1a{nullptr}, d1b{nullptr}, out{nullptr};
};
TORCH_MODULE(UNet);

int RoundUp4(int n) {
  return (n + 3) / 4 * 4;
}

// [1, Z, Y, X] float tensor from bytes.
torch::Tensor FromBytes(const std::vector<std::uint8_t>& v, const GridDims& d) {
  MUTA_INTERNAL_CHECK(v.size() == GridSize(d)) << "completion sample channel size mismatch";
  return torch::from_blob(const_cast<std::uint8_t*>(v.data()), {1, d[2], d[1], d[0]}, torch::kUInt8)
      .to(torch::kFloat);
}

// Applies dihedral augmentation `code` (bit 0 flip x, bit 1 flip y, bit 2 swap x and y) to a
// [C, Z, Y, X] tensor.
torch::Tensor Augment(torch::Tensor t, int code) {
  if (code & 1) t = t.flip({3});
  if (code & 2) t = t.flip({2});
  if ((code & 4) && t.size(2) == t.size(3)) t = t.transpose(2, 3);
  return t.contiguous();
}

struct Batch {
  torch::Tensor input;   // [B, 4, Z, Y, X]
  torch::Tensor target;  // [B, 1, Z, Y, X]
  torch::Tensor known;   // [B, 1, Z, Y, X]
};

// `augment`: random dihedral augmentation, and the hint (channels 2 and 3) dropped with
// probability `hint_drop`.
Batch MakeBatch(std::span<const CompletionSample* const> samples, std::uint64_t seed, bool augment,
                double hint_drop) {
  MUTA_INTERNAL_CHECK(!samples.empty()) << "empty training batch";
  std::mt19937_64 rng(seed);
  std::vector<torch::Tensor> in, tg, kn;
  const GridDims dims = samples[0]->dims;
  for (const CompletionSample* s : samples) {
    MUTA_INTERNAL_CHECK(s->dims == dims) << "training batch samples differ in size";
    MUTA_INTERNAL_CHECK(dims[0] % 4 == 0 && dims[1] % 4 == 0 && dims[2] % 4 == 0)
        << "training blocks must be multiples of 4 voxels";
    torch::Tensor all = torch::cat(
        {FromBytes(s->occupancy, dims), FromBytes(s->known, dims), FromBytes(s->counterpart, dims),
         FromBytes(s->counterpart_valid, dims), FromBytes(s->target, dims)},
        0);
    if (augment) {
      all = Augment(all, int(rng() % 8));
      if (double(rng() % 1'000'000) < hint_drop * 1e6) all.slice(0, 2, 4).zero_();
    }
    in.push_back(all.slice(0, 0, 4));
    kn.push_back(all.slice(0, 1, 2));
    tg.push_back(all.slice(0, 4, 5));
  }
  return {torch::stack(in), torch::stack(tg), torch::stack(kn)};
}

std::string TorchMessage(const std::exception& e) {
  std::string m = e.what();
  const auto nl = m.find('\n');  // c10::Error appends a backtrace
  if (nl != std::string::npos) m.resize(nl);
  return m;
}

}  // namespace

struct CompletionNet::Impl {
  CompletionNetInfo info;
  UNet model{nullptr};
};

CompletionNet::CompletionNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CompletionNet::CompletionNet(const CompletionNetInfo& info, std::uint64_t seed)
    : impl_(std::make_unique<Impl>()) {
  MUTA_CHECK(info.base_channels >= 1 && info.base_channels <= 256)
      << "completion network: base channels must be 1..256 (got " << info.base_channels << ")";
  MUTA_CHECK(info.voxel_size > 0) << "completion network: voxel size must be > 0";
  impl_->info = info;
  torch::manual_seed(seed);
  impl_->model = UNet(info.base_channels);
}

CompletionNet::~CompletionNet() = default;
CompletionNet::CompletionNet(CompletionNet&&) noexcept = default;
CompletionNet& CompletionNet::operator=(CompletionNet&&) noexcept = default;

const CompletionNetInfo& CompletionNet::info() const {
  return impl_->info;
}
void CompletionNet::set_steps(std::int64_t steps) {
  impl_->info.steps = steps;
}

std::size_t CompletionNet::NumParameters() const {
  std::size_t n = 0;
  for (const auto& p : impl_->model->parameters()) n += std::size_t(p.numel());
  return n;
}

bool CompletionNet::SameParameters(const CompletionNet& other) const {
  const auto a = impl_->model->named_parameters();
  const auto b = other.impl_->model->named_parameters();
  if (a.size() != b.size()) return false;
  for (const auto& item : a) {
    const torch::Tensor* q = b.find(item.key());
    if (q == nullptr || !item.value().sizes().equals(q->sizes()) || !torch::equal(item.value(), *q))
      return false;
  }
  return true;
}

void CompletionNet::Save(const std::filesystem::path& path) const {
  torch::serialize::OutputArchive archive;
  impl_->model->save(archive);
  const CompletionNetInfo& i = impl_->info;
  archive.write(kInfoKey, torch::tensor({double(i.format_version), double(i.base_channels),
                                         i.voxel_size, double(i.steps)},
                                        torch::kDouble));
  std::ostringstream out;
  archive.save_to(out);
  WriteFileAtomic(path, out.str());
}

CompletionNet CompletionNet::Load(const std::filesystem::path& path) {
  const std::string name = path.string();
  MUTA_CHECK(std::filesystem::is_regular_file(path))
      << name << ": completion network weights not found; reinstall Muta (the shipped weights are "
      << "assets/completion/unet.pt), train new ones with `muta train-completion -o DIR` and set "
      << "MUTA_COMPLETION_WEIGHTS=DIR/unet.pt, or use another method (--method symmetry|smooth)";
  const std::string bytes = ReadFileText(path);
  auto impl = std::make_unique<Impl>();
  try {
    std::istringstream in(bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(in);
    torch::Tensor info;
    MUTA_CHECK(archive.try_read(kInfoKey, info) && info.numel() == 4)
        << name << ": not a Muta completion network (no " << kInfoKey << " record)";
    info = info.to(torch::kDouble).contiguous();
    const double* v = info.data_ptr<double>();
    impl->info.format_version = int(v[0]);
    impl->info.base_channels = int(v[1]);
    impl->info.voxel_size = v[2];
    impl->info.steps = std::int64_t(v[3]);
    MUTA_CHECK(impl->info.format_version == kCompletionNetFormat)
        << name << ": completion network format " << impl->info.format_version
        << " is not supported (this Muta reads format " << kCompletionNetFormat
        << (impl->info.format_version == 1
                ? ": format 1 networks take 2 input channels, format 2 adds the building's "
                  "symmetry hint"
                : "")
        << "); reinstall Muta's shipped weights (assets/completion/unet.pt) or retrain with "
           "`muta train-completion -o DIR`";
    MUTA_CHECK(impl->info.base_channels >= 1 && impl->info.base_channels <= 256 &&
               std::isfinite(impl->info.voxel_size) && impl->info.voxel_size > 0)
        << name << ": corrupt completion network header (channels " << impl->info.base_channels
        << ", voxel " << impl->info.voxel_size << ")";
    impl->model = UNet(impl->info.base_channels);
    std::vector<std::vector<std::int64_t>> shapes;
    for (const auto& p : impl->model->parameters()) shapes.push_back(p.sizes().vec());
    impl->model->load(archive);
    const auto loaded = impl->model->parameters();
    MUTA_CHECK(loaded.size() == shapes.size())
        << name << ": the completion network has the wrong number of tensors";
    for (std::size_t k = 0; k < loaded.size(); ++k) {
      MUTA_CHECK(loaded[k].sizes().vec() == shapes[k] && loaded[k].scalar_type() == torch::kFloat &&
                 torch::isfinite(loaded[k]).all().item<bool>())
          << name << ": corrupt completion network (tensor " << k
          << " has the wrong shape or non-finite values); retrain or reinstall the weights";
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    MUTA_FAIL << name << ": cannot read the completion network weights (truncated or corrupt: "
              << TorchMessage(e)
              << "); reinstall Muta or retrain with `muta train-completion -o DIR`";
  }
  return CompletionNet(std::move(impl));
}

std::vector<float> CompletionNet::Predict(const GridDims& dims, std::span<const float> occupancy,
                                          std::span<const float> known,
                                          std::span<const float> counterpart,
                                          std::span<const float> counterpart_valid) const {
  const std::size_t n = GridSize(dims);
  MUTA_INTERNAL_CHECK(occupancy.size() == n && known.size() == n && counterpart.size() == n &&
                      counterpart_valid.size() == n && n > 0)
      << "completion network input size mismatch";
  torch::NoGradGuard no_grad;
  impl_->model->eval();
  auto channel = [&](std::span<const float> v, double pad_value) {
    torch::Tensor t = torch::from_blob(const_cast<float*>(v.data()),
                                       {1, 1, dims[2], dims[1], dims[0]}, torch::kFloat);
    return torch::constant_pad_nd(t,
                                  {0, RoundUp4(dims[0]) - dims[0], 0, RoundUp4(dims[1]) - dims[1],
                                   0, RoundUp4(dims[2]) - dims[2]},
                                  pad_value);
  };
  // Padding is empty observed space without a hint.
  const torch::Tensor input =
      torch::cat({channel(occupancy, 0.0), channel(known, 1.0), channel(counterpart, 0.0),
                  channel(counterpart_valid, 0.0)},
                 1);
  torch::Tensor p = torch::sigmoid(impl_->model->forward(input));
  p = p.slice(2, 0, dims[2]).slice(3, 0, dims[1]).slice(4, 0, dims[0]).contiguous();
  const float* data = p.data_ptr<float>();
  return std::vector<float>(data, data + n);
}

void CompletionNet::SetThreads(int threads) {
  MUTA_CHECK(threads >= 1) << "--threads must be at least 1 (got " << threads << ")";
  torch::set_num_threads(threads);
}

struct CompletionTrainer::Impl {
  UNet model;  // shares the network's module
  TrainOptions options;
  torch::optim::Adam optimizer;
  Impl(UNet m, const TrainOptions& o)
      : model(std::move(m)),
        options(o),
        optimizer(model->parameters(), torch::optim::AdamOptions(o.learning_rate)) {}

  // Loss and IoU for a batch; the loss keeps its graph when grad mode is on.
  std::pair<torch::Tensor, double> Forward(const Batch& b) {
    const torch::Tensor logits = model->forward(b.input);
    const torch::Tensor weight = options.known_weight * b.known + (1.0 - b.known);
    const torch::Tensor loss = F::binary_cross_entropy_with_logits(
        logits, b.target,
        F::BinaryCrossEntropyWithLogitsFuncOptions().weight(weight).pos_weight(
            torch::full({1}, options.positive_weight)));
    torch::NoGradGuard no_grad;
    const torch::Tensor unknown = b.known < 0.5;
    const torch::Tensor pred = (logits > 0) & unknown;
    const torch::Tensor truth = (b.target > 0.5) & unknown;
    const double inter = (pred & truth).sum().item<double>();
    const double uni = (pred | truth).sum().item<double>();
    return {loss, uni > 0 ? inter / uni : 1.0};
  }
};

CompletionTrainer::CompletionTrainer(CompletionNet& net, const TrainOptions& options)
    : impl_(std::make_unique<Impl>(net.impl_->model, options)) {}
CompletionTrainer::~CompletionTrainer() = default;

BatchFigures CompletionTrainer::Step(std::span<const CompletionSample* const> batch,
                                     std::uint64_t augment_seed, double learning_rate) {
  for (auto& group : impl_->optimizer.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(learning_rate);
  }
  impl_->model->train();
  const Batch b = MakeBatch(batch, augment_seed, /*augment=*/true, impl_->options.hint_drop);
  impl_->optimizer.zero_grad();
  auto [loss, iou] = impl_->Forward(b);
  loss.backward();
  impl_->optimizer.step();
  return {loss.item<double>(), iou};
}

BatchFigures CompletionTrainer::Evaluate(std::span<const CompletionSample* const> batch) const {
  torch::NoGradGuard no_grad;
  impl_->model->eval();
  const Batch b = MakeBatch(batch, 0, /*augment=*/false, 0.0);
  auto [loss, iou] = impl_->Forward(b);
  return {loss.item<double>(), iou};
}

void CompletionTrainer::SaveOptimizer(const std::filesystem::path& path) const {
  torch::serialize::OutputArchive archive;
  impl_->optimizer.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  WriteFileAtomic(path, out.str());
}

void CompletionTrainer::LoadOptimizer(const std::filesystem::path& path) {
  const std::string name = path.string();
  MUTA_CHECK(std::filesystem::is_regular_file(path))
      << name << ": optimizer checkpoint not found; start without --resume";
  const std::string bytes = ReadFileText(path);
  try {
    std::istringstream in(bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(in);
    impl_->optimizer.load(archive);
  } catch (const std::exception& e) {
    MUTA_FAIL << name
              << ": cannot read the optimizer checkpoint (truncated or corrupt: " << TorchMessage(e)
              << "); start without --resume";
  }
}

}  // namespace muta::restore
