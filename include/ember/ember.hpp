#pragma once
// ember: header-only C++17 inference of GGUF language models on the CPU.
// The umbrella header: includes the public headers, nothing else.

#include "ember/error.hpp"
#include "ember/core/dtype.hpp"
#include "ember/core/file_mapping.hpp"
#include "ember/core/json.hpp"
#include "ember/core/thread_pool.hpp"
#include "ember/io/gguf.hpp"
#include "ember/io/gguf_writer.hpp"
#include "ember/quant/dequantize.hpp"
#include "ember/quant/dot.hpp"
#include "ember/quant/quantize.hpp"
#include "ember/tokenizer/tokenizer.hpp"
#include "ember/model/model.hpp"
#include "ember/runtime/context.hpp"
#include "ember/runtime/embedding.hpp"
#include "ember/runtime/classifier.hpp"
