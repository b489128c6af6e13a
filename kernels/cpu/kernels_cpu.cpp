// Registration of the kernels_cpu plugin: every CPU kernel, reference and optimised.
#include "kernels_cpu.h"

#include "specrouter/plugin/plugin_api.h"

SPECROUTER_PLUGIN(registrar) {
  using namespace specrouter;
  registrar.add<Kernel>({kernel_name("block_copy", "reference"), "block copy, one plain copy per pair (the definition)", {}},
                        [](const Params&) { return kernels_cpu::make_reference_block_copy(); });
  registrar.add<Kernel>(
      {kernel_name("block_copy", "cpu"),
       "block copy on the host: adjacent pairs merged into runs, large copies split across threads",
       {int_param("grain_bytes", std::int64_t{1} << 20,
                  "bytes per parallel task; copies of at most this many bytes stay on the calling thread")}},
      [](const Params& params) { return kernels_cpu::make_cpu_block_copy(params); });
  registrar.add<Kernel>({kernel_name("linear", "reference"), "y = x W^T + b by at::linear (the definition; the model's default)", {}},
                        [](const Params&) { return make_reference_linear(); });
  registrar.add<Kernel>(
      {kernel_name("linear", "cpu_small_batch"),
       "y = x W^T + b for few float32 rows on the host: each weight row read once for all rows",
       {int_param("max_rows", 16, "most rows of x handled here; more rows (and non-float32, non-CPU) go to at::linear"),
        string_param("isa", "auto",
                     "register tiles: avx512 (up to 8 rows per pass), avx2 (4 x 3 tiles), baseline (any CPU), "
                     "or auto (the widest this CPU supports)"),
        bool_param("prefetch", true, "prefetch the next block of weight rows into L2 (avx512 and avx2 tiles)")}},
      [](const Params& params) { return kernels_cpu::make_cpu_small_batch_linear(params); });
}
