// `specrouter run` as an experiment harness, end to end on tiny random checkpoints the
// test writes: the results file and every documented dataset, continuous batching against
// target-only decoding, Poisson arrivals, refusals, bad workload files, interrupted runs,
// and events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "cli_test_util.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using nlohmann::json;
using specrouter::testing::read_results;
using specrouter::testing::read_text;
using specrouter::testing::results_column;
using specrouter::testing::run_cli;
using Result = specrouter::testing::CliResult;

class RunHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("specrouter-harness-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::error_code ignored;
    fs::remove_all(work_, ignored);
    fs::create_directories(work_);
    fs::copy(fs::path(SPECROUTER_SOURCE_DIR) / "configs", work_ / "configs", fs::copy_options::recursive);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(work_, ignored);
  }
  // This test's configs, checkpoints and output folder; both pools' checkpoints are here.
  std::vector<std::string> args(const std::vector<std::string>& extra, bool pair = false) const {
    std::vector<std::string> all = {"--config-dir", (work_ / "configs").string(), "pool=tiny_random", "method=null", "drafter=ngram", "run.output_dir=" + out().string(),
                                    "workload.max_new_tokens=3"};
    if (pair) {
      all.insert(all.end(), {"pool=tiny_pair", "pool.models[0].path=" + (work_ / "draft").string(),
                             "pool.models[1].path=" + (work_ / "target").string()});
    } else {
      all.push_back("pool.models[0].path=" + (work_ / "target").string());
    }
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  }
  fs::path out() const { return work_ / "out"; }
  fs::path results_file() const { return out() / "results.h5"; }

  // Runs into a fresh output folder and reads its results back.
  json run_and_read(const std::vector<std::string>& extra, bool pair = false) {
    fs::remove_all(out());
    const Result result = run_cli(args(extra, pair));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    if (result.exit_code != 0) return json();
    EXPECT_FALSE(fs::exists(results_file().string() + ".partial"));
    return read_results(results_file());
  }
  fs::path work_;
};

// Each request's generated tokens, by request id.
std::map<std::string, std::vector<std::int64_t>> tokens_by_request(const json& results) {
  std::map<std::string, std::vector<std::int64_t>> tokens;
  const json ids = results_column(results, "output_tokens", "id");
  const json values = results_column(results, "output_tokens", "token");
  for (std::size_t i = 0; i < ids.size(); ++i) tokens[ids[i].get<std::string>()].push_back(values[i].get<std::int64_t>());
  return tokens;
}

// The prompts of a JSONL workload file: id -> (class, prompt).
std::map<std::string, std::pair<std::string, std::string>> read_jsonl(const fs::path& path) {
  std::map<std::string, std::pair<std::string, std::string>> prompts;
  std::istringstream lines(read_text(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const json object = json::parse(line);
    prompts[object["id"].get<std::string>()] = {object["class"].get<std::string>(), object["prompt"].get<std::string>()};
  }
  return prompts;
}

// Every dataset docs/results-schema.md lists.
std::set<std::string> documented_datasets() {
  std::set<std::string> documented;
  std::istringstream doc(read_text(fs::path(SPECROUTER_SOURCE_DIR) / "docs" / "results-schema.md"));
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| `/", 0) == 0) documented.insert(line.substr(3, line.find('`', 3) - 3));
  }
  return documented;
}

// The datasets a results file holds.
std::set<std::string> written_datasets(const json& results) {
  std::set<std::string> written;
  for (const auto& [dataset, layout] : results["layout"].items()) written.insert(dataset);
  return written;
}

// A CSV file without quoted fields: the header's names to each row's values.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& path) {
  auto split = [](const std::string& line) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    return fields;
  };
  std::istringstream lines(read_text(path));
  std::string header;
  std::getline(lines, header);
  const std::vector<std::string> names = split(header);
  std::vector<std::map<std::string, std::string>> rows;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const std::vector<std::string> values = split(line);
    EXPECT_EQ(values.size(), names.size()) << line;
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) row[names[i]] = values[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST_F(RunHarnessTest, DefaultRunWritesEveryDocumentedDatasetAndOneRowPerRequest) {
  // The mixed workload's own continuous batching (the default experiment serves one
  // request at a time).
  const json results = run_and_read({"workload.max_batch_size=4", "workload.arrival.concurrency=4"});
  ASSERT_FALSE(results.is_null());

  // Every dataset docs/results-schema.md lists is in the file, and nothing else.
  EXPECT_EQ(written_datasets(results), documented_datasets());

  // One row per request of the mixed workload's files, with its class and prompt length.
  std::map<std::string, std::pair<std::string, std::string>> expected;
  for (const char* name : {"code", "prose", "qa", "repetitive"}) {
    expected.merge(read_jsonl(fs::path(SPECROUTER_SOURCE_DIR) / "experiments" / "workloads" / (std::string(name) + ".jsonl")));
  }
  ASSERT_EQ(expected.size(), 48u);
  const json ids = results_column(results, "requests", "id");
  ASSERT_EQ(ids.size(), expected.size());
  const std::map<std::string, std::vector<std::int64_t>> tokens = tokens_by_request(results);
  std::int64_t generated = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string id = ids[i].get<std::string>();
    ASSERT_TRUE(expected.count(id)) << id;
    EXPECT_EQ(results_column(results, "requests", "class")[i], expected[id].first) << id;
    // The byte-level tokenizer: one token per byte, plus <bos>.
    EXPECT_EQ(results_column(results, "requests", "prompt_tokens")[i].get<std::size_t>(), expected[id].second.size() + 1) << id;
    const auto output = results_column(results, "requests", "output_tokens")[i].get<std::int64_t>();
    const auto reason = results_column(results, "requests", "finish_reason")[i].get<std::string>();
    EXPECT_TRUE(output == 3 || reason == "eos") << id << ": " << output << " tokens, " << reason;
    EXPECT_EQ(tokens.count(id) ? tokens.at(id).size() : 0u, static_cast<std::size_t>(output)) << id;
    EXPECT_GE(results_column(results, "requests", "latency_seconds")[i].get<double>(),
              results_column(results, "requests", "first_token_seconds")[i].get<double>());
    generated += output;
  }

  const json& summary = results["summary"];
  EXPECT_EQ(summary["method"], "static [target] +ngram");
  EXPECT_EQ(summary["workload"], "mixed");
  EXPECT_EQ(summary["pool"], "tiny_random");
  EXPECT_EQ(summary["target"], "target");
  EXPECT_EQ(summary["baseline"], 0);
  EXPECT_EQ(summary["requests"], 48);
  EXPECT_EQ(summary["refused_requests"], 0);
  EXPECT_EQ(summary["new_tokens"], generated);
  EXPECT_EQ(summary["max_batch_size"], 4);
  EXPECT_EQ(summary["seed"], 0);
  const std::size_t steps = results_column(results, "steps", "step").size();
  EXPECT_EQ(summary["steps"].get<std::size_t>(), steps);
  EXPECT_EQ(summary["plans"], "target " + std::to_string(steps));
  EXPECT_EQ(results_column(results, "estimates", "step").size(), steps);
  for (const char* real : {"tokens_per_second", "seconds", "tau"}) EXPECT_TRUE(summary[real].is_number_float()) << real;
  EXPECT_NEAR(summary["tokens_per_second"].get<double>(), generated / summary["seconds"].get<double>(), 1e-6);
  std::int64_t sequence_steps = 0;
  for (const json& size : results_column(results, "steps", "batch_size")) {
    EXPECT_LE(size.get<std::int64_t>(), 4);
    sequence_steps += size.get<std::int64_t>();
  }
  EXPECT_NEAR(summary["tau"].get<double>(), static_cast<double>(generated) / static_cast<double>(sequence_steps), 1e-9);
  // The n-gram drafter proposes below the target: its own level row and acceptance.
  EXPECT_TRUE(summary.contains("acceptance/ngram") || summary.contains("drafter")) << summary.dump();

  const json& metadata = results["metadata"];
  EXPECT_THAT(metadata["config_yaml"].get<std::string>(), HasSubstr("name: mixed"));
  EXPECT_THAT(metadata["overrides"].dump(), HasSubstr("\"workload.max_new_tokens=3\""));
  EXPECT_FALSE(metadata["git_commit"].get<std::string>().empty());
  EXPECT_FALSE(metadata["end_time"].get<std::string>().empty());
  EXPECT_TRUE(metadata["library_versions"].contains("libtorch"));
  EXPECT_FALSE(fs::exists(out() / "summary.yaml"));
  EXPECT_TRUE(fs::exists(out() / "profile.json"));
}

// Five requests through batches of at most two, a two-level chain: every step holds at
// most two sequences, every request finishes, and the tokens equal target-only decoding.
TEST_F(RunHarnessTest, ContinuousBatchingCommitsWhatTheTargetAloneCommits) {
  const std::vector<std::string> workload = {"workload=smoke", "workload.requests=5", "workload.max_new_tokens=10",
                                             "workload.arrival.concurrency=5", "drafter=null"};
  std::vector<std::string> batched = workload;
  batched.insert(batched.end(), {"workload.max_batch_size=2", "scheduler.chain=[draft,target]", "scheduler.draft_lengths=[3]"});
  const json speculative = run_and_read(batched, true);
  ASSERT_FALSE(speculative.is_null());
  std::vector<std::int64_t> sizes;
  for (const json& size : results_column(speculative, "steps", "batch_size")) sizes.push_back(size.get<std::int64_t>());
  ASSERT_FALSE(sizes.empty());
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), 2);
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 2);
  EXPECT_EQ(speculative["summary"]["requests"], 5);
  EXPECT_EQ(speculative["summary"]["plans"], "draft:3>target " + std::to_string(sizes.size()));
  EXPECT_EQ(speculative["summary"]["method"], "static [draft:3>target]");
  EXPECT_TRUE(speculative["summary"]["acceptance/draft"].is_number_float());

  std::vector<std::string> plain = workload;
  plain.insert(plain.end(), {"workload.max_batch_size=1"});
  const json target_only = run_and_read(plain, true);
  ASSERT_FALSE(target_only.is_null());
  EXPECT_EQ(target_only["summary"]["baseline"], 1);
  EXPECT_EQ(target_only["summary"]["method"], "target-only");
  const auto expected = tokens_by_request(target_only);
  EXPECT_EQ(expected.size(), 5u);
  EXPECT_TRUE(expected.count("prose-1#2")) << "the fifth request cycles back to the first prompt";
  EXPECT_EQ(tokens_by_request(speculative), expected);
}

TEST_F(RunHarnessTest, ARoutedDrafterIsPlannedStepByStepAndStaysLossless) {
  // SpecRouter's own method: dp over [ngram, draft, target], the ngram drafter routed as
  // the cheapest member, Thompson draws, priors and a warm-up. Its tokens must be
  // target-only decoding's; its estimates and profile cover the routed drafter.
  const std::vector<std::string> workload = {"workload=smoke", "workload.requests=6", "workload.max_new_tokens=12",
                                             "workload.max_batch_size=1"};
  std::vector<std::string> routed = workload;
  routed.insert(routed.end(), {"method=specrouter_dp", "++pool.acceptance_prior={draft>target: 0.7}"});
  const json speculative = run_and_read(routed, true);
  ASSERT_FALSE(speculative.is_null());
  EXPECT_EQ(speculative["summary"]["method"], "SpecRouter (dp)");
  const json profile = json::parse(read_text(out() / "profile.json"));
  ASSERT_EQ(profile["models"].size(), 3U);
  EXPECT_EQ(profile["models"][0]["name"], "ngram");
  EXPECT_TRUE(profile["models"][0]["fitted"].get<bool>()) << "the warm-up timed the drafter";
  EXPECT_TRUE(profile["models"][2]["fitted"].get<bool>()) << "the warm-up timed the target";
  EXPECT_EQ(profile["beliefs"]["prior_means"][1][2], 0.7);
  EXPECT_EQ(profile["beliefs"]["prior_means"][0][2], 0.3) << "the method's prior for prompt lookup";

  std::vector<std::string> plain = workload;
  plain.insert(plain.end(), {"drafter=null"});
  const json target_only = run_and_read(plain, true);
  ASSERT_FALSE(target_only.is_null());
  EXPECT_EQ(tokens_by_request(speculative), tokens_by_request(target_only));

  // A prior naming a model the schedulers do not route is refused, naming the key.
  std::vector<std::string> bad = routed;
  bad.push_back("++pool.acceptance_prior={medium>target: 0.7}");
  const Result refused = run_cli(args(bad, true));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output, ::testing::HasSubstr("pool.acceptance_prior.medium>target"));
}

TEST_F(RunHarnessTest, PoissonArrivalsAndSampledTokensRepeatForASeed) {
  const auto run = [&](const std::string& seed) {
    return run_and_read({"workload=smoke", "workload.requests=6", "workload.arrival.process=poisson",
                         "workload.arrival.rate=40", "workload.sampling.temperature=0.8", "run.seed=" + seed,
                         "drafter=null"});
  };
  const json first = run("3");
  const json second = run("3");
  const json other = run("4");
  ASSERT_FALSE(first.is_null() || second.is_null() || other.is_null());
  const auto arrivals = [](const json& results) {
    std::map<std::string, double> by_id;
    const json ids = results_column(results, "requests", "id");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      by_id[ids[i].get<std::string>()] = results_column(results, "requests", "arrival_seconds")[i].get<double>();
    }
    return by_id;
  };
  EXPECT_EQ(arrivals(first).size(), 6u);
  EXPECT_EQ(arrivals(first), arrivals(second));
  EXPECT_NE(arrivals(first), arrivals(other));
  for (const auto& [id, time] : arrivals(first)) EXPECT_GT(time, 0.0) << id;
  EXPECT_EQ(tokens_by_request(first), tokens_by_request(second));
  EXPECT_NE(tokens_by_request(first), tokens_by_request(other));
}

TEST_F(RunHarnessTest, PromptLongerThanTheContextIsRefusedAndTheOthersFinish) {
  const fs::path file = work_ / "long.jsonl";
  std::ofstream(file) << R"({"id": "short-1", "class": "prose", "prompt": "Once upon a time", "max_new_tokens": 4})" << "\n"
                      << R"({"id": "long-1", "class": "prose", "prompt": ")" << std::string(1199, 'x')
                      << R"(", "max_new_tokens": 4})" << "\n"
                      << R"({"id": "short-2", "class": "qa", "prompt": "Question: why?", "max_new_tokens": 4})" << "\n";
  const json results = run_and_read({"workload=prose", "workload.files=[" + file.string() + "]"});
  ASSERT_FALSE(results.is_null());
  const json ids = results_column(results, "requests", "id");
  ASSERT_EQ(ids.size(), 3u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto reason = results_column(results, "requests", "finish_reason")[i].get<std::string>();
    if (ids[i] == "long-1") {
      EXPECT_EQ(reason, "refused: prompt of 1200 tokens exceeds the context of 1024 of 'target'");
      EXPECT_EQ(results_column(results, "requests", "output_tokens")[i], 0);
    } else {
      EXPECT_TRUE(reason == "length" || reason == "eos") << ids[i] << ": " << reason;
    }
  }
  EXPECT_EQ(results["summary"]["requests"], 2);
  EXPECT_EQ(results["summary"]["refused_requests"], 1);
}

TEST_F(RunHarnessTest, BadWorkloadFileIsRefusedWithFileAndLine) {
  const auto refused = [&](const std::string& name, const std::string& text, const std::vector<std::string>& expected) {
    const fs::path file = work_ / name;
    std::ofstream(file) << text;
    fs::remove_all(out());
    const Result result = run_cli(args({"workload=prose", "workload.files=[" + file.string() + "]"}));
    EXPECT_EQ(result.exit_code, 1) << result.output;
    for (const std::string& part : expected) EXPECT_THAT(result.output, HasSubstr(part)) << name;
    EXPECT_FALSE(fs::exists(results_file())) << name;
    EXPECT_FALSE(fs::exists(results_file().string() + ".partial")) << name;
  };
  const std::string good = R"({"id": "a", "class": "prose", "prompt": "hello", "max_new_tokens": 4})";
  refused("missing.jsonl", good + "\n" + R"({"id": "b", "class": "prose", "max_new_tokens": 4})" + "\n",
          {"missing.jsonl:2", "missing field 'prompt'"});
  refused("not_json.jsonl", good + "\n\n{\"id\": \"c\", oops}\n", {"not_json.jsonl:3", "not a JSON line"});
  refused("wrong_type.jsonl", R"({"id": "a", "class": "prose", "prompt": "hi", "max_new_tokens": "4"})" "\n",
          {"wrong_type.jsonl:1", "'max_new_tokens' must be a positive integer, not a string"});
  refused("repeated.jsonl", good + "\n" + good + "\n", {"repeated.jsonl:2", "id 'a' appears twice"});
  // Files that yield nothing are errors naming the file, not "no prompts".
  refused("empty.jsonl", "", {"empty.jsonl", "holds no prompts"});
  refused("blank.jsonl", "\n  \n", {"blank.jsonl", "holds no prompts"});
  fs::create_directories(work_ / "folder.jsonl");
  refused("folder.jsonl", "", {"folder.jsonl", "is a folder"});  // writing into it fails quietly
  // A number no double holds: nlohmann throws out_of_range, not parse_error.
  refused("overflow.jsonl", R"({"id": "a", "class": "prose", "prompt": "hi", "max_new_tokens": 1e400})" "\n",
          {"overflow.jsonl:1", "not a JSON line", "1e400"});
}

// A run that fails after the results file was created, and one killed mid-run, leave
// no results.h5.
TEST_F(RunHarnessTest, InterruptedRunLeavesNoResultsFile) {
  // profile.json cannot be written (a folder is in its place): the run fails at its end.
  fs::create_directories(out() / "profile.json" / "occupied");
  const Result failed = run_cli(args({"workload=smoke"}));
  EXPECT_NE(failed.exit_code, 0) << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("profile.json"));
  EXPECT_FALSE(fs::exists(results_file()));
  EXPECT_FALSE(fs::exists(results_file().string() + ".partial")) << "a run that throws deletes its partial file";

  // SIGKILL once decoding has begun.
  fs::remove_all(out());
  std::string command = "'" + std::string(SPECROUTER_CLI) + "'";
  for (const std::string& arg : args({"workload=smoke", "workload.requests=100000", "workload.max_new_tokens=64"})) {
    command += " '" + arg + "'";
  }
  const std::string partial = results_file().string() + ".partial";
  const std::string script = command + " > '" + (work_ / "killed.log").string() + "' 2>&1 & pid=$!; " +
                             "for i in $(seq 1200); do [ -e '" + partial + "' ] && break; sleep 0.05; done; " +
                             "sleep 0.5; kill -9 $pid; wait $pid; exit 0";
  std::ofstream(work_ / "kill.sh") << script << "\n";
  ASSERT_EQ(std::system(("bash '" + (work_ / "kill.sh").string() + "'").c_str()), 0);
  EXPECT_TRUE(fs::exists(partial)) << read_text(work_ / "killed.log");
  EXPECT_FALSE(fs::exists(results_file())) << read_text(work_ / "killed.log");
}

// A slowdown and a class switch, by step so the test does not depend on timing: both are
// recorded, and every request issued after the switch is of the new class.
TEST_F(RunHarnessTest, EventsAreRecordedAndSwitchTheArrivingClass) {
  const fs::path config = work_ / "configs" / "config.yaml";
  std::string text = read_text(config);
  const std::string events =
      "events:\n"
      "  - {at_step: 1, slowdown: {model: target, factor: 2, for_steps: 2}}\n"
      "  - {at_step: 4, workload_class: code}\n";
  text.replace(text.find("events: []\n"), std::string("events: []\n").size(), events);
  std::ofstream(config) << text;
  const json results = run_and_read({"workload=smoke", "workload.requests=10", "workload.max_batch_size=2",
                                     "workload.arrival.concurrency=2", "drafter=null"});
  ASSERT_FALSE(results.is_null());
  EXPECT_EQ(results_column(results, "events", "kind"), json({"slowdown", "slowdown_end", "workload_class"}));
  EXPECT_EQ(results_column(results, "events", "step"), json({1, 3, 4}));
  EXPECT_THAT(results_column(results, "events", "description")[0].get<std::string>(), HasSubstr("target x2"));
  // Each request takes 3 steps (plain decoding, 3 tokens), two at a time: the first four
  // are issued before step 4, the rest after it.
  const json classes = results_column(results, "requests", "class");
  const json ids = results_column(results, "requests", "id");
  ASSERT_EQ(classes.size(), 10u);
  int code = 0;
  for (std::size_t i = 0; i < classes.size(); ++i) code += classes[i] == "code";
  EXPECT_GE(code, 6) << ids.dump();
  EXPECT_EQ(classes.back(), "code");

  text.replace(text.find("model: target"), std::string("model: target").size(), "model: drafter");
  std::ofstream(config) << text;
  fs::remove_all(out());
  const Result bad = run_cli(args({"workload=smoke"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("events[0].slowdown.model: the pool has no model 'drafter'"));
}

// workload=phased serves the classes in phases by request (the files in order, each
// prompt once); workload=mixed_loaded composes with the workload's own events
// (workload.events).
TEST_F(RunHarnessTest, PhasedWorkloadComposesAndRecordsItsSwitches) {
  for (const char* name : {"phased", "mixed_loaded"}) {
    const Result printed =
        run_cli({"--config-dir", (work_ / "configs").string(), "--cfg", "job", std::string("workload=") + name});
    ASSERT_EQ(printed.exit_code, 0) << printed.output;
    const YAML::Node config = YAML::Load(printed.output);
    EXPECT_EQ(config["workload"]["name"].as<std::string>(), name);
    EXPECT_EQ(config["workload"]["arrival"]["process"].as<std::string>(), "closed") << "from mixed";
    EXPECT_EQ(config["events"].size(), 0u) << "the experiment's events stay empty";
    if (std::string(name) == "phased") {
      EXPECT_EQ(config["workload"]["order"].as<std::string>(), "listed");
      ASSERT_EQ(config["workload"]["files"].size(), 3u);
      EXPECT_THAT(config["workload"]["files"][0].as<std::string>(), HasSubstr("repetitive"));
      EXPECT_THAT(config["workload"]["files"][2].as<std::string>(), HasSubstr("prose"));
    } else {
      const YAML::Node events = config["workload"]["events"];
      ASSERT_TRUE(events.IsSequence()) << printed.output;
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0]["slowdown"]["model"].as<std::string>(), "draft");
      EXPECT_EQ(config["workload"]["files"].size(), 4u) << "mixed's";
    }
  }

  // One request at a time (config.yaml's regime), 2 tokens each: 12 repetitive requests,
  // then 12 code, then 12 prose, whatever the method.
  const json results = run_and_read({"workload=phased", "workload.max_new_tokens=2", "drafter=null"});
  ASSERT_FALSE(results.is_null());
  EXPECT_EQ(results["summary"]["workload"], "phased");
  const json classes = results_column(results, "requests", "class");
  ASSERT_EQ(classes.size(), 36u);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    EXPECT_EQ(classes[i], i < 12 ? "repetitive" : i < 24 ? "code" : "prose") << "request " << i;
  }

  // An event of the workload with a bad model is named by its own key.
  fs::remove_all(out());
  const Result bad = run_cli(args({"workload=mixed_loaded"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("workload.events[0].slowdown.model: the pool has no model 'draft'"));
}

}  // namespace

// A sweep of two jobs (target-only, and prompt lookup below the target) writes one complete
// results file per job, whose acceptance by draft position agrees with its level rows, and
// the leaderboard's numbers are those the files' tables give.
TEST_F(RunHarnessTest, SweepWritesAFilePerJobAndTheLeaderboardRecomputesFromThem) {
  const fs::path sweep = work_ / "sweep";
  std::vector<std::string> command = {"-m"};
  for (const std::string& arg :
       args({"run.sweep_dir=" + sweep.string(), "workload.requests=6", "drafter=null,ngram", "run.seed=0"})) {
    command.push_back(arg);
  }
  const Result result = run_cli(command);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  std::map<std::string, double> tokens_per_second;  // by method, recomputed from the tables
  for (const char* job : {"0", "1"}) {
    const json results = read_results(sweep / job / "results.h5");
    ASSERT_FALSE(results.is_null()) << "job " << job;
    EXPECT_EQ(written_datasets(results), documented_datasets()) << "job " << job;
    std::int64_t generated = 0;
    for (const json& tokens : results_column(results, "requests", "output_tokens")) generated += tokens.get<std::int64_t>();
    EXPECT_EQ(results_column(results, "requests", "id").size(), 6u) << "job " << job;
    EXPECT_EQ(results_column(results, "output_tokens", "token").size(), static_cast<std::size_t>(generated));
    const json& summary = results["summary"];
    EXPECT_EQ(summary["new_tokens"].get<std::int64_t>(), generated) << "job " << job;
    const double seconds = summary["seconds"].get<double>();
    ASSERT_GT(seconds, 0.0);
    tokens_per_second[summary["method"].get<std::string>()] = static_cast<double>(generated) / seconds;

    // Acceptance by draft position adds up, model by model, to the per-step level rows:
    // every drafted token stands at one position of its round's draft.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_levels, by_positions;
    const json level_models = results_column(results, "step_levels", "model");
    for (std::size_t i = 0; i < level_models.size(); ++i) {
      auto& [drafted, accepted] = by_levels[level_models[i].get<std::string>()];
      drafted += results_column(results, "step_levels", "drafted")[i].get<std::int64_t>();
      accepted += results_column(results, "step_levels", "accepted")[i].get<std::int64_t>();
    }
    const json position_models = results_column(results, "acceptance_by_position", "model");
    for (std::size_t i = 0; i < position_models.size(); ++i) {
      auto& [drafted, accepted] = by_positions[position_models[i].get<std::string>()];
      drafted += results_column(results, "acceptance_by_position", "drafted")[i].get<std::int64_t>();
      accepted += results_column(results, "acceptance_by_position", "accepted")[i].get<std::int64_t>();
    }
    std::erase_if(by_levels, [](const auto& entry) { return entry.second.first == 0; });
    EXPECT_EQ(by_positions, by_levels) << "job " << job;
    if (summary["method"] != "target-only") EXPECT_EQ(by_positions.count("ngram"), 1u) << "job " << job;
  }
  ASSERT_EQ(tokens_per_second.count("target-only"), 1u);
  ASSERT_EQ(tokens_per_second.size(), 2u);

  const fs::path csv = work_ / "board.csv";
  const Result board = run_cli({"leaderboard", sweep.string(), "--csv", csv.string()});
  ASSERT_EQ(board.exit_code, 0) << board.output;
  EXPECT_THAT(board.output, HasSubstr("Baseline: `target-only`"));
  const std::vector<std::map<std::string, std::string>> rows = read_csv(csv);
  ASSERT_EQ(rows.size(), 2u);
  const double baseline = tokens_per_second.at("target-only");
  for (const auto& row : rows) {
    const std::string& method = row.at("method");
    ASSERT_EQ(tokens_per_second.count(method), 1u) << method;
    const double expected = tokens_per_second.at(method);
    EXPECT_EQ(row.at("runs"), "1") << method;
    EXPECT_EQ(row.at("baseline"), method == "target-only" ? "1" : "0") << method;
    EXPECT_NEAR(std::stod(row.at("tokens_per_second")), expected, 1e-6 * expected) << method;
    EXPECT_NEAR(std::stod(row.at("speedup")), expected / baseline, 1e-6 * expected / baseline) << method;
  }
}
