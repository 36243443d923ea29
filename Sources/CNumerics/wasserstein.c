#include <stdlib.h>
#include <math.h>
#include "cnumerics.h"

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double ddpm_wasserstein1_1d(float *p, size_t n, float *q, size_t m) {
    qsort(p, n, sizeof(float), compare_floats);
    qsort(q, m, sizeof(float), compare_floats);
    size_t levels = n > m ? n : m;
    double sum = 0;
    for (size_t level = 0; level < levels; level++) {
        sum += fabs((double)p[level * n / levels] - (double)q[level * m / levels]);
    }
    return sum / (double)levels;
}
