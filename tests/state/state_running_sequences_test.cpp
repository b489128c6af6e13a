// RunningSequences: what a generation loop still holds is released when it goes out of
// scope, after a return or an exception; what the loop released itself is not released
// again; the destructor never throws.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "kv_test_util.h"
#include "specrouter/state/running_sequences.h"
#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

using testing::append_and_write;
using testing::small_spec;
using Tokens = std::vector<TokenId>;

class RunningSequencesTest : public ::testing::Test {
 protected:
  std::int64_t used_blocks() const { return manager_.memory_report().pools.at(0).used_blocks; }

  // Starts a sequence through `running` and gives it K/V (two blocks of 4 positions).
  SequenceId start(RunningSequences& running, TokenId first) {
    const Tokens prompt{first, first + 1, first + 2, first + 3, first + 4};
    const SequenceId sequence = running.create_sequence(prompt);
    append_and_write(manager_, model_, sequence, prompt);
    return sequence;
  }

  StateManager manager_{StateManagerOptions{.debug_checks = true}};
  KvModelId model_ = manager_.add_model(small_spec("target", 4), KvBudget::blocks(16));
};

TEST_F(RunningSequencesTest, AnExceptionReleasesWhatIsStillHeldAndNotWhatTheLoopReleased) {
  const SequenceId outside = manager_.create_sequence(Tokens{7, 8});  // not the loop's
  std::vector<SequenceId> started;
  try {
    RunningSequences running(manager_);
    for (TokenId first : {10, 20, 30}) started.push_back(start(running, first));
    EXPECT_EQ(used_blocks(), 6);
    // The loop finishes the middle one itself; a second release of it would make the
    // final release fail and leave the other two in the manager.
    const std::vector<SequenceId> finished{started[1]};
    running.release(finished);
    EXPECT_FALSE(manager_.contains(started[1]));
    EXPECT_EQ(std::vector<SequenceId>(running.held().begin(), running.held().end()),
              (std::vector<SequenceId>{started[0], started[2]}));
    EXPECT_EQ(used_blocks(), 4);
    throw std::runtime_error("a step failed");
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "a step failed");  // the loop's own exception reaches the caller
  }
  for (SequenceId sequence : started) EXPECT_FALSE(manager_.contains(sequence)) << "sequence " << sequence;
  EXPECT_TRUE(manager_.contains(outside));
  EXPECT_EQ(used_blocks(), 0);
  EXPECT_EQ(manager_.sequences(), std::vector<SequenceId>{outside});
  manager_.check_consistency();
}

TEST_F(RunningSequencesTest, AReturnReleasesWhatIsStillHeld) {
  SequenceId kept = 0;
  {
    RunningSequences running(manager_);
    kept = start(running, 1);
    const SequenceId finished = start(running, 2);
    running.release(std::vector<SequenceId>{finished});
    EXPECT_TRUE(manager_.contains(kept));
  }
  EXPECT_FALSE(manager_.contains(kept));
  EXPECT_TRUE(manager_.sequences().empty());
  EXPECT_EQ(used_blocks(), 0);
}

TEST_F(RunningSequencesTest, AFailedReleaseKeepsHoldingEverySequence) {
  RunningSequences running(manager_);
  const SequenceId first = start(running, 1);
  const SequenceId second = start(running, 2);
  const std::vector<SequenceId> with_unknown{first, second + 100};
  EXPECT_THROW(running.release(with_unknown), KvStateError);
  EXPECT_TRUE(manager_.contains(first));
  EXPECT_EQ(std::vector<SequenceId>(running.held().begin(), running.held().end()),
            (std::vector<SequenceId>{first, second}));
}

TEST_F(RunningSequencesTest, TheDestructorDoesNotThrowWhenTheFinalReleaseFails) {
  SequenceId behind_its_back = 0;
  SequenceId other = 0;
  EXPECT_NO_THROW({
    RunningSequences running(manager_);
    behind_its_back = start(running, 1);
    other = start(running, 2);
    manager_.release(behind_its_back);  // the manager no longer knows an id the guard holds
  });
  // The final release checks every id first, so it released nothing.
  EXPECT_TRUE(manager_.contains(other));
  EXPECT_FALSE(manager_.contains(behind_its_back));
}

}  // namespace
}  // namespace specrouter
