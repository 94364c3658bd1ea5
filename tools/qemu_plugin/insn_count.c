/*
 * insn_count: a QEMU TCG plugin counting executed guest instructions per virtual CPU,
 * optionally only those whose address lies in [start, end).
 *
 *   qemu-system-arm ... -plugin libinsn_count.so,range=0x10000400-0x10001000 -d plugin -D out.txt
 *
 * At exit it writes one line per vCPU that executed anything: "insn_count cpu=<i> <count>".
 *
 * With begin=SYMBOL,end=SYMBOL (functions of the firmware, found through the ELF symbols QEMU
 * loaded with -kernel), it also writes, each time a vCPU enters the end function, the
 * instructions every vCPU executed since a vCPU last entered the begin function:
 * "insn_count cpu=<i> measurement=<n> <count>", one line per vCPU that executed any (n counts
 * measurements from 1). Multi-core work measured from core 0 thus shows each core's share;
 * other cores' counts are read while they run, so they are exact only once those cores are
 * idle (as after the executor's final barrier; cores sleeping in wfi execute nothing). Marker functions
 * must be straight-line code entered only by calls, so that every block starting in them
 * starts at their entry (tinyml_rt's tinyml_measure_begin/end are).
 *
 * Without -D the lines go to stderr as they happen, between the firmware's own output.
 * Counts are exact for the code range, run to run, also under multi-threaded TCG: each vCPU
 * only adds to its own counter, from its own thread. Whole-run counts of multi-core firmware
 * still vary with how long cores spin while waiting; restrict the range to measure work.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MAX_VCPUS = 64 };

static uint64_t range_start;
static uint64_t range_end = UINT64_MAX;
static uint64_t executed[MAX_VCPUS];
static const char *begin_symbol;
static const char *end_symbol;
static uint64_t measurement_start[MAX_VCPUS];
static uint64_t measurements;

/* Called before each execution of a translated block; udata = its in-range instruction count. */
static void count_block(unsigned int vcpu_index, void *udata)
{
    if (vcpu_index < MAX_VCPUS) {
        /* Only this vCPU's thread writes its counter: no read-modify-write atomic needed, only
         * whole-word stores for the other threads' loads. */
        uint64_t count = __atomic_load_n(&executed[vcpu_index], __ATOMIC_RELAXED);
        __atomic_store_n(&executed[vcpu_index], count + (uint64_t)(uintptr_t)udata, __ATOMIC_RELAXED);
    }
}

/* Other vCPUs' counters are read and snapshot from this vCPU's thread: aligned 64-bit
 * loads, a value each counter held at some instant of the call. */
static void begin_measurement(unsigned int vcpu_index, void *udata)
{
    for (int vcpu = 0; vcpu < MAX_VCPUS; vcpu++) {
        measurement_start[vcpu] = __atomic_load_n(&executed[vcpu], __ATOMIC_RELAXED);
    }
}

static void end_measurement(unsigned int vcpu_index, void *udata)
{
    char line[96];
    uint64_t measurement = __atomic_add_fetch(&measurements, 1, __ATOMIC_RELAXED);
    for (int vcpu = 0; vcpu < MAX_VCPUS; vcpu++) {
        uint64_t count = __atomic_load_n(&executed[vcpu], __ATOMIC_RELAXED) - measurement_start[vcpu];
        if (count > 0) {
            snprintf(line, sizeof(line), "insn_count cpu=%d measurement=%" PRIu64 " %" PRIu64 "\n",
                     vcpu, measurement, count);
            qemu_plugin_outs(line);
        }
    }
}

/* Registers the marker callbacks when this block starts in a marker function. Registered
 * before count_block: a measurement includes the begin marker's few instructions, not the
 * end marker's. */
static void watch_markers(struct qemu_plugin_tb *tb)
{
    if (begin_symbol == NULL || qemu_plugin_tb_n_insns(tb) == 0) {
        return;
    }
    const char *symbol = qemu_plugin_insn_symbol(qemu_plugin_tb_get_insn(tb, 0));
    if (symbol == NULL) {
        return;
    }
    if (strcmp(symbol, begin_symbol) == 0) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, begin_measurement, QEMU_PLUGIN_CB_NO_REGS, NULL);
    } else if (strcmp(symbol, end_symbol) == 0) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, end_measurement, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void translate_block(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    watch_markers(tb);
    size_t in_range = 0;
    size_t count = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < count; i++) {
        uint64_t address = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
        if (address >= range_start && address < range_end) {
            in_range++;
        }
    }
    if (in_range > 0) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, count_block, QEMU_PLUGIN_CB_NO_REGS,
                                             (void *)(uintptr_t)in_range);
    }
}

static void report(qemu_plugin_id_t id, void *udata)
{
    char line[80];
    for (int vcpu = 0; vcpu < MAX_VCPUS; vcpu++) {
        if (executed[vcpu] > 0) {
            snprintf(line, sizeof(line), "insn_count cpu=%d %" PRIu64 "\n", vcpu, executed[vcpu]);
            qemu_plugin_outs(line);
        }
    }
}

static int parse_range(const char *text)
{
    char *end;
    range_start = strtoull(text, &end, 0);
    if (*end != '-') {
        return -1;
    }
    range_end = strtoull(end + 1, &end, 0);
    return (*end == '\0' && range_start < range_end) ? 0 : -1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "range=", 6) == 0 && parse_range(argv[i] + 6) == 0) {
            continue;
        }
        if (strncmp(argv[i], "begin=", 6) == 0 && argv[i][6] != '\0') {
            begin_symbol = strdup(argv[i] + 6);
            continue;
        }
        if (strncmp(argv[i], "end=", 4) == 0 && argv[i][4] != '\0') {
            end_symbol = strdup(argv[i] + 4);
            continue;
        }
        fprintf(stderr,
                "insn_count: bad argument '%s' (expected range=START-END, begin=SYMBOL, end=SYMBOL)\n",
                argv[i]);
        return -1;
    }
    if ((begin_symbol == NULL) != (end_symbol == NULL)) {
        fprintf(stderr, "insn_count: begin= and end= go together\n");
        return -1;
    }
    if (info->system_emulation && info->system.max_vcpus > MAX_VCPUS) {
        fprintf(stderr, "insn_count: %d vCPUs, at most %d supported\n", info->system.max_vcpus,
                MAX_VCPUS);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, translate_block);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
