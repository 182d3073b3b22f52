/*
 * dealcast_plugin.h: the C ABI of Dealcast analysis-module plugins, ABI version 1.
 *
 * A plugin is a shared library (.so on Linux, .dylib on macOS) that exports one function,
 * dealcast_plugin_entry(), returning a pointer to a dealcast_plugin struct that describes one
 * analysis module: its id, version and description, the scenario inputs and other modules' metrics it
 * reads, the metrics it writes, and a batch evaluate function over column-major arrays.
 *
 * The contract for plugin authors, with examples, is docs/plugin-abi.md. In short:
 *
 *   - Plain C99. Include this header, fill the structs with static data, export the entry function.
 *   - Every struct of this header is only ever extended AT THE END. A plugin sets struct_size (and
 *     input_size, metric_size) to sizeof() as it was compiled; the host reads only what that size
 *     covers, so a plugin built against an older header keeps working with a newer host.
 *     abi_version changes only when a change cannot be made that way, and the host refuses a plugin
 *     whose abi_version it does not know.
 *   - Everything the entry function returns (strings, arrays, the struct) must stay valid and
 *     unchanged for as long as the library is loaded: use static storage. The host never unloads it.
 *   - evaluate() is called from several threads at once, on different blocks. It must be reentrant:
 *     no writable global state, no locks needed. Its only randomness is a generator it seeds with
 *     block->seed; never the clock, the process id, rand() or any global state. Then a run is
 *     reproducible bit for bit, at any thread count.
 *   - evaluate() never prints, never touches files or the network, never calls exit() or abort().
 */
#ifndef DEALCAST_PLUGIN_H
#define DEALCAST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define DEALCAST_PLUGIN_ABI_VERSION 1

/* The name of the function every plugin exports. */
#define DEALCAST_PLUGIN_ENTRY_SYMBOL "dealcast_plugin_entry"

/* Status returned by evaluate(). */
#define DEALCAST_OK 0
#define DEALCAST_ERROR 1

/* dealcast_input.constraint: the range of values an input may take. The host checks the scenario's
   value (a fixed number or a whole distribution's support) against it before any trial runs. */
#define DEALCAST_ANY 0          /* any value of the unit */
#define DEALCAST_POSITIVE 1     /* > 0 */
#define DEALCAST_NON_NEGATIVE 2 /* >= 0 */
#define DEALCAST_PROBABILITY 3  /* between 0 and 1 */
#define DEALCAST_RANGE 4        /* between dealcast_input.minimum and dealcast_input.maximum */

/* dealcast_metric.kind */
#define DEALCAST_CONTINUOUS 0 /* any number in the metric's unit */
#define DEALCAST_EVENT 1      /* 0 or 1 per trial; reported as a probability */

#if defined(_WIN32)
#define DEALCAST_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define DEALCAST_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DEALCAST_PLUGIN_EXPORT
#endif

/* A scenario input the module reads. The host binds it like a built-in module's input: it parses the
   scenario's value at `path` (a fixed amount or a distribution), checks its unit and constraint,
   and samples it once per trial. Modules that read the same path see the same draw in every trial. */
typedef struct dealcast_input {
    /* Field path in the scenario, e.g. "power_price_shock.step" (the plugin's own section, the top-level
       key equal to its id) or "deal.capacity" (shared with the built-in modules). */
    const char *path;
    /* Canonical unit, which fixes the dimension: "USD", "GW", "USD/MWh", "USD/GW", "years" or "1"
       (a plain number: fractions, percentages, counts). Values arrive in this unit. */
    const char *unit;
    /* One of DEALCAST_ANY ... DEALCAST_RANGE. */
    int32_t constraint;
    /* Bounds for DEALCAST_RANGE, in `unit`; ignored otherwise. */
    double minimum;
    double maximum;
    /* What the input means, one line, shown in the report's assumptions table. */
    const char *summary;
    /* NULL: the scenario must give a value. Otherwise the value used when the scenario has none,
       written as in a scenario file, e.g. "pert(5%, 12%, 30%)" or "3 years". */
    const char *default_value;
    /* Required with default_value: why this default, with its sources. The report shows it as the
       assumption behind the input. */
    const char *default_rationale;
} dealcast_input;

/* A metric the module writes: one number per trial, published as "<id>.<name>". */
typedef struct dealcast_metric {
    /* Lowercase letters, digits and '_', unique within the module. */
    const char *name;
    /* Unit of the values, free text as the report prints it: "USD", "1", "years", "GW", "fraction".
       Ignored for events, whose unit is "probability". */
    const char *unit;
    /* DEALCAST_CONTINUOUS or DEALCAST_EVENT. */
    int32_t kind;
    /* Nonzero: a headline metric, the number the module exists to answer. The report leads with it
       and shows what drives it. */
    int32_t headline;
    /* What the metric means, one line. */
    const char *summary;
    /* NULL: every value must be finite, and a NaN or infinity stops the run. Otherwise NaN is allowed
       and means this (e.g. "the cash flows never change sign"); such trials are counted and left out
       of the statistics. */
    const char *undefined_meaning;
} dealcast_metric;

/* One block of trials, as evaluate() receives it. Valid only during the call. */
typedef struct dealcast_block {
    /* sizeof(dealcast_block) as the host was compiled. */
    uint32_t struct_size;
    /* Trials in this block: 1 ... 4096. */
    int64_t count;
    /* Index of the block in the run, and of its first trial (0-based). */
    int64_t block_index;
    int64_t first_trial;
    /* A 64-bit seed for this block, derived by the host from (run seed, block index, module id).
       Seed your own generator with it if the module is stochastic. */
    uint64_t seed;
    /* Input matrix, column-major: column j holds `count` values, trial i's at inputs[j * count + i].
       Columns are in declared order: the inputs (dealcast_plugin.inputs) first, then the metrics of
       other modules (dealcast_plugin.reads). */
    int64_t input_columns;
    const double *inputs;
    /* Output matrix, same layout, one column per metric in declared order (dealcast_plugin.metrics).
       evaluate() must write every cell. */
    int64_t output_columns;
    double *outputs;
} dealcast_block;

/* Fills block->outputs from block->inputs. Returns DEALCAST_OK, or DEALCAST_ERROR (any nonzero value)
   after writing a NUL-terminated explanation of at most message_size bytes into message; the host then
   stops the run with that message and writes no report. */
typedef int32_t (*dealcast_evaluate_fn)(const dealcast_block *block, char *message, size_t message_size);

/* The module a plugin provides. Only ever extended at the end. */
typedef struct dealcast_plugin {
    /* DEALCAST_PLUGIN_ABI_VERSION. Must come first. */
    uint32_t abi_version;
    /* sizeof(dealcast_plugin) as the plugin was compiled. Must come second. */
    uint32_t struct_size;
    /* Module id: lowercase letters, digits and '_', unique among the modules of a run; also the
       top-level key of the module's section in a scenario. */
    const char *id;
    /* Version of the module's definitions, e.g. "1.0.0"; printed in reports and results.json. */
    const char *version;
    /* What the module answers, one sentence. */
    const char *description;
    /* Scenario inputs: input_count elements of input_size bytes (sizeof(dealcast_input)). */
    uint32_t input_count;
    uint32_t input_size;
    const dealcast_input *inputs;
    /* Other modules' metrics read, as full keys "<module>.<metric>". The host runs those modules
       first. */
    uint32_t read_count;
    const char *const *reads;
    /* Metrics written: metric_count elements of metric_size bytes (sizeof(dealcast_metric)). */
    uint32_t metric_count;
    uint32_t metric_size;
    const dealcast_metric *metrics;
    /* The batch evaluation. */
    dealcast_evaluate_fn evaluate;
} dealcast_plugin;

/* The function every plugin exports (C linkage, default visibility). Returns the plugin's
   description, or NULL if the plugin cannot run (the host then refuses it). Called once per load. */
DEALCAST_PLUGIN_EXPORT const dealcast_plugin *dealcast_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* DEALCAST_PLUGIN_H */
