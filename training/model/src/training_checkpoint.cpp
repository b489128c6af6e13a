// Training checkpoints (see training_checkpoint.h).
#include "specrouter/training/training_checkpoint.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <vector>

#include "specrouter/checkpoint/safetensors_file.h"
#include "specrouter/checkpoint/safetensors_writer.h"
#include "specrouter/error.h"

namespace specrouter::training {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWeightsFile = "weights.safetensors";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kStateFile = "state.json";
constexpr const char* kLatestFile = "latest";

Dtype file_dtype(at::ScalarType type, const std::string& name) {
  switch (type) {
    case at::kFloat: return Dtype::kF32;
    case at::kDouble: return Dtype::kF64;
    case at::kLong: return Dtype::kI64;
    default: throw CheckpointError("tensor '" + name + "': unsupported dtype for a training checkpoint");
  }
}

at::ScalarType torch_dtype(Dtype dtype, const fs::path& file, const std::string& name) {
  switch (dtype) {
    case Dtype::kF32: return at::kFloat;
    case Dtype::kF64: return at::kDouble;
    case Dtype::kI64: return at::kLong;
    default: throw CheckpointError(file.string() + ": tensor '" + name + "' has a dtype a training checkpoint never holds");
  }
}

// Text files get the same treatment as safetensors files: temporary name, then rename.
void write_text_atomically(const fs::path& file, const std::string& text) {
  const fs::path temporary = file.parent_path() / ("." + file.filename().string() + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw CheckpointError(temporary.string() + ": cannot write");
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) throw CheckpointError(file.string() + ": cannot rename into place: " + error.message());
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CheckpointError(file.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string folder_name(std::int64_t step) {
  std::ostringstream name;
  name << "step-" << std::setw(8) << std::setfill('0') << step;
  return name.str();
}

}  // namespace

void save_safetensors_tensors(const fs::path& file, const std::map<std::string, at::Tensor>& tensors) {
  std::vector<at::Tensor> owned;
  std::vector<TensorToWrite> entries;
  for (const auto& [name, stored] : tensors) {
    at::Tensor tensor = stored.detach().to(at::kCPU).contiguous();
    owned.push_back(tensor);
    TensorToWrite entry;
    entry.name = name;
    entry.dtype = file_dtype(tensor.scalar_type(), name);
    entry.shape = tensor.sizes().vec();
    entry.data = {static_cast<const std::byte*>(tensor.data_ptr()), tensor.nbytes()};
    entries.push_back(std::move(entry));
  }
  write_safetensors(file, entries);
}

std::map<std::string, at::Tensor> load_safetensors_tensors(const fs::path& file) {
  const SafetensorsFile opened = SafetensorsFile::open(file);
  std::map<std::string, at::Tensor> tensors;
  for (const TensorView& view : opened.tensors()) {
    at::Tensor tensor = at::empty(view.shape, at::TensorOptions().dtype(torch_dtype(view.dtype, file, view.name)));
    if (static_cast<std::size_t>(tensor.nbytes()) != view.nbytes) {
      throw CheckpointError(file.string() + ": tensor '" + view.name + "' has the wrong byte count");
    }
    std::memcpy(tensor.data_ptr(), view.data, view.nbytes);  // the mapping may be unaligned
    tensors[view.name] = tensor;
  }
  return tensors;
}

fs::path save_training_checkpoint(const fs::path& output_dir, const TrainingCheckpoint& checkpoint) {
  const fs::path root = output_dir / "checkpoints";
  const std::string name = folder_name(checkpoint.state.step);
  const fs::path temporary = root / ("." + name + ".tmp");
  const fs::path folder = root / name;
  std::error_code error;
  fs::create_directories(root, error);
  if (error) throw CheckpointError(root.string() + ": cannot create: " + error.message());
  fs::remove_all(temporary);
  fs::create_directories(temporary);

  save_safetensors_tensors(temporary / kWeightsFile, checkpoint.weights);
  save_safetensors_tensors(temporary / kOptimizerFile, checkpoint.optimizer);
  const nlohmann::json state = {{"step", checkpoint.state.step},
                                {"optimizer_steps", checkpoint.state.optimizer_steps},
                                {"sampler_state", checkpoint.state.sampler_state},
                                {"fingerprint", checkpoint.state.fingerprint},
                                {"train_loss", checkpoint.state.train_loss}};
  write_text_atomically(temporary / kStateFile, state.dump(2) + "\n");

  fs::remove_all(folder);  // a checkpoint of the same step from an earlier attempt
  fs::rename(temporary, folder, error);
  if (error) throw CheckpointError(folder.string() + ": cannot rename into place: " + error.message());
  write_text_atomically(root / kLatestFile, name + "\n");

  // Only now is the newest one complete and named: older ones can go.
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    const std::string other = entry.path().filename().string();
    if (entry.is_directory() && other != name && other.rfind("step-", 0) == 0) fs::remove_all(entry.path());
  }
  return folder;
}

namespace {

// The folder `checkpoints/latest` names, or an empty path when there is no checkpoint.
fs::path latest_folder(const fs::path& output_dir) {
  const fs::path latest = output_dir / "checkpoints" / kLatestFile;
  if (!fs::exists(latest)) return {};
  std::string name = read_text(latest);
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ')) name.pop_back();
  const fs::path folder = output_dir / "checkpoints" / name;
  if (name.empty() || !fs::is_directory(folder)) {
    throw CheckpointError(latest.string() + ": names '" + name + "', which is not a checkpoint folder");
  }
  return folder;
}

TrainingState read_state(const fs::path& folder) {
  TrainingState state;
  const fs::path state_file = folder / kStateFile;
  try {
    const nlohmann::json json = nlohmann::json::parse(read_text(state_file));
    state.step = json.at("step").get<std::int64_t>();
    state.optimizer_steps = json.at("optimizer_steps").get<std::int64_t>();
    state.sampler_state = json.at("sampler_state").get<std::string>();
    state.fingerprint = json.at("fingerprint").get<std::string>();
    state.train_loss = json.at("train_loss").get<double>();
  } catch (const nlohmann::json::exception& error) {
    throw CheckpointError(state_file.string() + ": " + error.what());
  }
  return state;
}

}  // namespace

std::optional<TrainingState> latest_training_state(const fs::path& output_dir) {
  const fs::path folder = latest_folder(output_dir);
  if (folder.empty()) return std::nullopt;
  return read_state(folder);
}

std::optional<TrainingCheckpoint> load_latest_training_checkpoint(const fs::path& output_dir) {
  const fs::path folder = latest_folder(output_dir);
  if (folder.empty()) return std::nullopt;
  TrainingCheckpoint checkpoint;
  checkpoint.state = read_state(folder);
  checkpoint.weights = load_safetensors_tensors(folder / kWeightsFile);
  checkpoint.optimizer = load_safetensors_tensors(folder / kOptimizerFile);
  return checkpoint;
}

}  // namespace specrouter::training
