#pragma once
// ember: header-only C++17 inference of GGUF language models on the CPU.
// The umbrella header: includes the public headers, nothing else.

#include "ember/error.hpp"
#include "ember/core/dtype.hpp"
#include "ember/core/file_mapping.hpp"
#include "ember/io/gguf.hpp"
#include "ember/io/gguf_writer.hpp"
