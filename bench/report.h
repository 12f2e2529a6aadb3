// The bench's tables: one row printed as it is measured.
#pragma once

#include "in_process.h"

#include <string>

namespace bench {

std::string load_average();
// "auto" for 0, with the count in use beside it where it differs.
std::string threads_text(int requested, int used);
// A row of the users' table: a process of its own.
void print_user_row(const std::string& model, const std::string& side, int threads, const Result& r,
                    const std::string& ratio);
// A row of the diagnosis table: in the bench's own process.
void print_diagnosis_row(const std::string& model, const std::string& side, int threads, const Result& r,
                         const std::string& note);
// How far the two sides' scores of the first timed frame lie apart, beside the largest score.
std::string score_agreement(const Result& cpp, const Result& py);

}  // namespace bench
