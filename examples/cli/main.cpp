#include <cstdio>
int main() { std::fprintf(stderr, "ember: not built yet\n"); return 1; }
