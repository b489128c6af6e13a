// Results files read back with h5py (the system Python's python3-h5py, through
// scripts/read_results.py): every value, type, unit and chunk layout as written, a large
// run complete, a kept partial file readable, and docs/results-schema.md covering it all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <sstream>

#include "results_test_support.h"
#include "specrouter/results/results_writer.h"

namespace specrouter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;
using testing::read_back;
using testing::sample_metadata;
using testing::sample_step;
using testing::ScratchDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class ResultsReadBack : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string reason = testing::h5py_unavailable_reason();
    if (!reason.empty()) GTEST_SKIP() << reason;
  }
  ScratchDir dir_;
};

std::vector<RequestRecord> sample_requests() {
  return {
      {"req-0", "chat", 12, 64, 0.0, 0.05, 1.5, 64 / 1.5, 3.2, 20, "length"},
      {"req-1", "code ✓", 400, 7, 0.25, 0.4, 0.9, 7 / 0.65, 1.75, 4, "eos"},
      {"req-2", "chat", 1, 0, 1.0, kNaN, 0.0, 0.0, kNaN, 0, "length"},  // nothing generated
  };
}

// Steps with one, two and three levels, and one whose levels are per sequence.
std::vector<StepRecord> sample_steps() {
  std::vector<StepRecord> steps = {sample_step(0), sample_step(1), sample_step(2)};
  StepRecord per_sequence = sample_step(2);
  per_sequence.batch_size = 2;
  per_sequence.levels.clear();
  for (const std::int64_t sequence : {7, 9}) {
    per_sequence.levels.push_back({sequence, 0, "mid", 3, sequence == 7 ? 3 : 1, 0.02});
    per_sequence.levels.push_back({sequence, 1, "target", 0, 0, 0.03});
  }
  steps.push_back(per_sequence);
  return steps;
}

std::vector<EstimateRecord> sample_estimates() {
  return {{0, "target", 0.020, 0.021}, {1, "mid:3>target", 0.012, kNaN}, {2, "small:4>mid:2>target", 0.009, 0.0105},
          {3, "mid:3>target", 0.011, 0.013}};
}

// Reads a JSON number that read_results.py prints as null for NaN.
double number_or_nan(const json& value) { return value.is_null() ? kNaN : value.get<double>(); }

void expect_reals(const json& column, const std::vector<double>& expected, const std::string& name) {
  ASSERT_EQ(column.size(), expected.size()) << name;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(column[i].is_null()) << name << "[" << i << "] = " << column[i];
    } else {
      EXPECT_DOUBLE_EQ(number_or_nan(column[i]), expected[i]) << name << "[" << i << "]";
    }
  }
}

TEST_F(ResultsReadBack, EveryValueReadsBackAsWritten) {
  const std::filesystem::path path = dir_ / "run.h5";
  const std::vector<RequestRecord> requests = sample_requests();
  const std::vector<StepRecord> steps = sample_steps();
  const std::vector<EstimateRecord> estimates = sample_estimates();
  const std::vector<EventRecord> events = {{1.5, 2, "slowdown", "draft x4 for 3 s"},
                                           {4.5, 6, "slowdown_end", "draft back to full speed ✓"},
                                           {5.0, 7, "workload_class", "requests of class code from now on"}};
  const std::vector<OutputTokensRecord> outputs = {{"req-0", {5, 6, 7}}, {"req-1", {}}, {"req-2", {258}}};
  const std::vector<DraftPositionRecord> positions = {
      {"mid", 0, 40, 31}, {"mid", 1, 31, 20}, {"mid", 2, 20, 9}, {"ngram", 0, 12, 3}};
  {
    ResultsWriter writer(path, sample_metadata(), {.chunk_rows = 2});  // tables span several chunks
    for (const EventRecord& event : events) writer.add_event(event);
    for (const OutputTokensRecord& output : outputs) writer.add_output_tokens(output);
    for (const DraftPositionRecord& position : positions) writer.add_draft_position(position);
    for (const StepRecord& step : steps) writer.add_step(step);
    for (const RequestRecord& request : requests) writer.add_request(request);
    for (const EstimateRecord& estimate : estimates) writer.add_estimate(estimate);
    writer.finish({{"requests", std::int64_t{3}},
                   {"tokens_per_second", 41.25},
                   {"scheduler", std::string("dp")},
                   {"acceptance.small/mid", 0.625},
                   {"largest", std::numeric_limits<std::int64_t>::max()}});
  }
  const json file = read_back(path);
  ASSERT_FALSE(file.is_null());

  EXPECT_EQ(file["attributes"], json({{"format", "specrouter-results"}, {"format_version", 1}}));
  EXPECT_THAT(file["groups"].get<std::vector<std::string>>(),
              ElementsAre("acceptance_by_position", "estimates", "events", "metadata", "model_calls", "output_tokens", "requests", "step_levels",
                          "steps", "summary"));

  const RunMetadata metadata = sample_metadata();
  const json& meta = file["metadata"];
  EXPECT_EQ(meta["config_yaml"], metadata.config_yaml);
  EXPECT_EQ(meta["overrides"], json(metadata.overrides));
  EXPECT_EQ(meta["git_commit"], metadata.git_commit);
  EXPECT_EQ(meta["host"], metadata.host);
  EXPECT_EQ(meta["cpu"], metadata.cpu);
  EXPECT_EQ(meta["gpu"], metadata.gpu);
  EXPECT_EQ(meta["start_time"], metadata.start_time);
  EXPECT_TRUE(std::regex_match(meta["end_time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << meta["end_time"];
  EXPECT_EQ(meta["library_versions"],
            json({{"hdf5", hdf5_library_version()}, {"libtorch", "2.11.0"}, {"yaml-cpp", "0.7.0"}}));

  EXPECT_EQ(file["summary"], json({{"requests", 3},
                                   {"tokens_per_second", 41.25},
                                   {"scheduler", "dp"},
                                   {"acceptance.small/mid", 0.625},
                                   {"largest", std::numeric_limits<std::int64_t>::max()}}));

  const json& request_table = file["tables"]["requests"];
  std::vector<std::string> ids, classes, reasons;
  std::vector<std::int64_t> prompt, output, step_counts;
  std::vector<double> arrival, first_token, latency, rate, tau;
  for (const RequestRecord& r : requests) {
    ids.push_back(r.id);
    classes.push_back(r.request_class);
    reasons.push_back(r.finish_reason);
    prompt.push_back(r.prompt_tokens);
    output.push_back(r.output_tokens);
    step_counts.push_back(r.steps);
    arrival.push_back(r.arrival_seconds);
    first_token.push_back(r.first_token_seconds);
    latency.push_back(r.latency_seconds);
    rate.push_back(r.tokens_per_second);
    tau.push_back(r.tau);
  }
  EXPECT_EQ(request_table["id"], json(ids));
  EXPECT_EQ(request_table["class"], json(classes));
  EXPECT_EQ(request_table["finish_reason"], json(reasons));
  EXPECT_EQ(request_table["prompt_tokens"], json(prompt));
  EXPECT_EQ(request_table["output_tokens"], json(output));
  EXPECT_EQ(request_table["steps"], json(step_counts));
  expect_reals(request_table["arrival_seconds"], arrival, "arrival_seconds");
  expect_reals(request_table["first_token_seconds"], first_token, "first_token_seconds");
  expect_reals(request_table["latency_seconds"], latency, "latency_seconds");
  expect_reals(request_table["tokens_per_second"], rate, "tokens_per_second");
  expect_reals(request_table["tau"], tau, "tau");

  // Steps, and their levels and model calls flattened in order with their step index.
  std::map<std::string, std::vector<std::int64_t>> ints;
  std::map<std::string, std::vector<double>> reals;
  std::map<std::string, std::vector<std::string>> texts;
  for (std::size_t index = 0; index < steps.size(); ++index) {
    const StepRecord& s = steps[index];
    const auto step = static_cast<std::int64_t>(index);
    ints["steps/step"].push_back(step);
    reals["steps/time_seconds"].push_back(s.time_seconds);
    reals["steps/duration_seconds"].push_back(s.duration_seconds);
    ints["steps/batch_size"].push_back(s.batch_size);
    texts["steps/plan"].push_back(s.plan);
    ints["steps/committed_tokens"].push_back(s.committed_tokens);
    for (const LevelRecord& l : s.levels) {
      ints["step_levels/step"].push_back(step);
      ints["step_levels/sequence"].push_back(l.sequence);
      ints["step_levels/level"].push_back(l.level);
      texts["step_levels/model"].push_back(l.model);
      ints["step_levels/drafted"].push_back(l.drafted);
      ints["step_levels/accepted"].push_back(l.accepted);
      reals["step_levels/seconds"].push_back(l.seconds);
    }
    for (const ModelCallRecord& c : s.model_calls) {
      ints["model_calls/step"].push_back(step);
      ints["model_calls/level"].push_back(c.level);
      texts["model_calls/model"].push_back(c.model);
      ints["model_calls/batch_size"].push_back(c.batch_size);
      ints["model_calls/tokens_per_sequence"].push_back(c.tokens_per_sequence);
      reals["model_calls/context_length"].push_back(c.context_length);
      reals["model_calls/seconds"].push_back(c.seconds);
    }
  }
  for (const EstimateRecord& e : estimates) {
    ints["estimates/step"].push_back(e.step);
    texts["estimates/plan"].push_back(e.plan);
    reals["estimates/predicted_seconds_per_token"].push_back(e.predicted_seconds_per_token);
    reals["estimates/measured_seconds_per_token"].push_back(e.measured_seconds_per_token);
  }
  for (const EventRecord& e : events) {
    reals["events/time_seconds"].push_back(e.time_seconds);
    ints["events/step"].push_back(e.step);
    texts["events/kind"].push_back(e.kind);
    texts["events/description"].push_back(e.description);
  }
  for (const OutputTokensRecord& o : outputs) {
    for (std::size_t i = 0; i < o.tokens.size(); ++i) {
      texts["output_tokens/id"].push_back(o.id);
      ints["output_tokens/position"].push_back(static_cast<std::int64_t>(i));
      ints["output_tokens/token"].push_back(o.tokens[i]);
    }
  }
  for (const DraftPositionRecord& p : positions) {
    texts["acceptance_by_position/model"].push_back(p.model);
    ints["acceptance_by_position/position"].push_back(p.position);
    ints["acceptance_by_position/drafted"].push_back(p.drafted);
    ints["acceptance_by_position/accepted"].push_back(p.accepted);
  }
  EXPECT_EQ(ints["step_levels/sequence"].size(), 2u + 3u + 4u + 1u) << "the fixture covers levels 1..3 and per sequence";
  std::size_t columns_checked = 0;
  const auto column = [&](const std::string& key) -> const json& {
    const std::size_t slash = key.find('/');
    ++columns_checked;
    return file["tables"][key.substr(0, slash)][key.substr(slash + 1)];
  };
  for (const auto& [key, values] : ints) EXPECT_EQ(column(key), json(values)) << key;
  for (const auto& [key, values] : texts) EXPECT_EQ(column(key), json(values)) << key;
  for (const auto& [key, values] : reals) expect_reals(column(key), values, key);
  EXPECT_EQ(columns_checked + request_table.size(), file["layout"].size()) << "every column was compared";

  for (const auto& [path_in_file, layout] : file["layout"].items()) {
    EXPECT_EQ(layout["chunks"], json({2})) << path_in_file;
    EXPECT_EQ(layout["maxshape"], json({nullptr})) << path_in_file;
    EXPECT_EQ(layout["compression"], "gzip") << path_in_file;
    EXPECT_FALSE(layout["description"].get<std::string>().empty()) << path_in_file;
  }
  EXPECT_EQ(file["layout"]["/requests/id"]["dtype"], "string");
  EXPECT_EQ(file["layout"]["/requests/prompt_tokens"]["dtype"], "int64");
  EXPECT_EQ(file["layout"]["/requests/latency_seconds"]["dtype"], "float64");
  EXPECT_EQ(file["layout"]["/requests/latency_seconds"]["unit"], "s");
}

TEST_F(ResultsReadBack, EmptyRunHasEmptyTables) {
  const std::filesystem::path path = dir_ / "empty.h5";
  RunMetadata metadata;  // every string empty, no overrides, no libraries
  {
    ResultsWriter writer(path, metadata, {.compression_level = 0});
    writer.finish({});
  }
  const json file = read_back(path);
  ASSERT_FALSE(file.is_null());
  EXPECT_EQ(file["metadata"]["overrides"], json::array());
  EXPECT_EQ(file["metadata"]["config_yaml"], "");
  EXPECT_EQ(file["metadata"]["gpu"], "none");
  EXPECT_EQ(file["metadata"]["library_versions"], json({{"hdf5", hdf5_library_version()}}));
  EXPECT_TRUE(std::regex_match(file["metadata"]["start_time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_EQ(file["summary"], json::object());
  for (const auto& [table, columns] : file["tables"].items()) {
    for (const auto& [name, values] : columns.items()) EXPECT_EQ(values, json::array()) << table << "/" << name;
  }
  EXPECT_TRUE(file["layout"]["/steps/plan"]["compression"].is_null());
}

TEST_F(ResultsReadBack, LargeConfigYamlIsKeptWhole) {
  const std::filesystem::path path = dir_ / "run.h5";
  RunMetadata metadata = sample_metadata();
  std::ostringstream yaml;
  for (int i = 0; i < 8000; ++i) yaml << "key_" << i << ": value number " << i << "\n";  // ~200 KB
  metadata.config_yaml = yaml.str();
  ASSERT_GT(metadata.config_yaml.size(), 150'000u);
  {
    ResultsWriter writer(path, metadata);
    writer.finish({});
  }
  const json file = read_back(path);
  ASSERT_FALSE(file.is_null());
  EXPECT_EQ(file["metadata"]["config_yaml"], metadata.config_yaml);
}

TEST_F(ResultsReadBack, KeptPartialFileHoldsEveryRowAddedButNoSummary) {
  const std::filesystem::path path = dir_ / "run.h5";
  {
    ResultsWriter writer(path, sample_metadata(), {.chunk_rows = 4, .keep_partial_file = true});
    for (int i = 0; i < 10; ++i) writer.add_step(sample_step(i));  // 10 rows: 2 chunks written, 2 rows buffered
    writer.add_request(sample_requests()[0]);
  }
  ASSERT_FALSE(std::filesystem::exists(path));
  const json file = read_back(path.string() + ".partial");
  ASSERT_FALSE(file.is_null());
  EXPECT_EQ(file["tables"]["steps"]["step"], json({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(file["tables"]["requests"]["id"], json({"req-0"}));
  EXPECT_TRUE(file["summary"].is_null());
  EXPECT_FALSE(file["metadata"].contains("end_time"));
}

// Order-sensitive statistics of an integer column, as read_results.py --stats prints them.
json int_stats(const std::vector<std::int64_t>& values) {
  std::int64_t sum = 0, weighted = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    sum += values[i];
    weighted += static_cast<std::int64_t>(i) * values[i];
  }
  return {{"rows", values.size()}, {"sum", sum}, {"weighted_sum", weighted}, {"first", values.front()},
          {"last", values.back()}};
}

TEST_F(ResultsReadBack, LargeRunIsCompleteAndChunked) {
  const std::filesystem::path path = dir_ / "large.h5";
  constexpr std::int64_t kSteps = 200'000;
  std::vector<std::int64_t> step_index, committed, level_step, level_number, drafted, accepted, call_tokens;
  std::map<std::string, std::int64_t> plans, models;
  double duration_sum = 0, context_sum = 0;
  std::size_t most_buffered = 0;
  {
    ResultsWriter writer(path, sample_metadata());
    for (std::int64_t i = 0; i < kSteps; ++i) {
      const StepRecord step = sample_step(i);
      writer.add_step(step);
      most_buffered = std::max(most_buffered, writer.buffered_rows());
      step_index.push_back(i);
      committed.push_back(step.committed_tokens);
      duration_sum += step.duration_seconds;
      ++plans[step.plan];
      for (const LevelRecord& level : step.levels) {
        level_step.push_back(i);
        level_number.push_back(level.level);
        drafted.push_back(level.drafted);
        accepted.push_back(level.accepted);
        ++models[level.model];
      }
      for (const ModelCallRecord& call : step.model_calls) {
        call_tokens.push_back(call.tokens_per_sequence);
        context_sum += call.context_length;
      }
    }
    writer.finish({{"steps", kSteps}});
  }
  EXPECT_LT(most_buffered, 5u * ResultsWriterOptions{}.chunk_rows);
  ASSERT_EQ(level_step.size(), 399'999u);  // 66'667 steps of 1 level, 66'667 of 2, 66'666 of 3

  const json file = read_back(path, /*stats=*/true);
  ASSERT_FALSE(file.is_null());
  const json& tables = file["tables"];
  EXPECT_EQ(tables["steps"]["step"], int_stats(step_index));
  EXPECT_EQ(tables["steps"]["committed_tokens"], int_stats(committed));
  EXPECT_EQ(tables["steps"]["plan"]["counts"], json(plans));
  EXPECT_NEAR(tables["steps"]["duration_seconds"]["sum"].get<double>(), duration_sum, 1e-9 * duration_sum);
  EXPECT_EQ(tables["step_levels"]["step"], int_stats(level_step));
  EXPECT_EQ(tables["step_levels"]["level"], int_stats(level_number));
  EXPECT_EQ(tables["step_levels"]["drafted"], int_stats(drafted));
  EXPECT_EQ(tables["step_levels"]["accepted"], int_stats(accepted));
  EXPECT_EQ(tables["step_levels"]["model"]["counts"], json(models));
  EXPECT_EQ(tables["model_calls"]["tokens_per_sequence"], int_stats(call_tokens));
  EXPECT_NEAR(tables["model_calls"]["context_length"]["sum"].get<double>(), context_sum, 1e-9 * context_sum);
  EXPECT_EQ(tables["model_calls"]["model"]["counts"], json(models));

  const std::size_t chunk_rows = ResultsWriterOptions{}.chunk_rows;
  for (const auto& [path_in_file, layout] : file["layout"].items()) {
    EXPECT_EQ(layout["chunks"], json({chunk_rows})) << path_in_file;
    EXPECT_EQ(layout["maxshape"], json({nullptr})) << path_in_file;
  }
  EXPECT_EQ(file["layout"]["/step_levels/model"]["shape"], json({399'999}));
  EXPECT_EQ(file["summary"]["steps"], kSteps);
}

// docs/results-schema.md documents every dataset with its dtype and unit, as a table row
// `| `/steps/plan` | string | - | ... |`, and every metadata attribute.
TEST_F(ResultsReadBack, SchemaDocumentDescribesEveryDataset) {
  const std::filesystem::path path = dir_ / "run.h5";
  {
    ResultsWriter writer(path, sample_metadata());
    writer.finish({});
  }
  const json file = read_back(path);
  ASSERT_FALSE(file.is_null());
  const std::string doc = testing::read_text(SPECROUTER_RESULTS_SCHEMA_DOC);
  ASSERT_FALSE(doc.empty()) << SPECROUTER_RESULTS_SCHEMA_DOC;
  std::map<std::string, std::string> rows;  // "`/steps/plan`" -> its table row
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t start = line.find("| `/");
    if (start != 0) continue;
    const std::size_t end = line.find('`', 3);
    rows[line.substr(2, end - 1)] = line;
  }
  for (const auto& [dataset, layout] : file["layout"].items()) {
    const std::string key = "`" + dataset + "`";
    ASSERT_TRUE(rows.count(key)) << dataset << " has no row in " << SPECROUTER_RESULTS_SCHEMA_DOC;
    const std::string unit = layout["unit"].get<std::string>();
    EXPECT_THAT(rows[key], HasSubstr("| " + layout["dtype"].get<std::string>() + " | " + (unit.empty() ? "-" : unit) +
                                     " |"))
        << "dtype and unit of " << dataset;
  }
  EXPECT_EQ(rows.size(), file["layout"].size()) << "the document lists datasets the file does not have";
  const auto documents = [&](const std::string& text) { return doc.find(text) != std::string::npos; };
  for (const auto& [attribute, value] : file["metadata"].items()) {
    if (attribute == "library_versions") continue;  // the reader's merge of the subgroup
    EXPECT_TRUE(documents("| `" + attribute + "` |")) << "metadata attribute " << attribute;
  }
  EXPECT_TRUE(documents("`/metadata/library_versions`"));
  for (const auto& [attribute, value] : file["attributes"].items()) {
    EXPECT_TRUE(documents("| `" + attribute + "` |")) << "root attribute " << attribute;
  }
}

}  // namespace
}  // namespace specrouter
