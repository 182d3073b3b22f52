/*
 * power_price_shock: a Dealcast plugin in plain C99.
 *
 * What do step rises in the electricity price cost the provider on the deal's capacity over the
 * commitment term, and what is left of capex_return's NPV after them?
 *
 * Each year of the term, with the trial's annual probability, the price of power steps up by the
 * trial's step size and stays up (a regime change such as a capacity-market reset, not a one-month
 * spike). The years in which steps happen are drawn from the plugin's own generator, seeded with the
 * block seed the host hands over, so a run is reproducible at any thread count.
 * Model and sources: docs/models/power_price_shock.md. ABI: docs/plugin-abi.md.
 *
 * Build (from the repository root):
 *   cc -std=c99 -O2 -shared -fPIC -I Sources/CDealcastPlugin/include \
 *      Examples/PowerPriceShock/power_price_shock.c -o power_price_shock.so -lm
 * Run:
 *   dealcast run --plugin ./power_price_shock.so
 */
#include "dealcast_plugin.h"

#include <math.h>
#include <stdio.h>

/* Input columns, in the order of `inputs` below, then the metric read. */
enum {
    IN_CAPACITY, IN_PUE, IN_LOAD_FACTOR, IN_POWER_PRICE, IN_TAX_RATE, IN_DISCOUNT_RATE, IN_TERM,
    IN_PROBABILITY, IN_STEP, IN_RAMP, IN_PASS_THROUGH,
    IN_CAPEX_NPV, /* capex_return.npv_usd, the one metric read */
    IN_COLUMNS
};

/* Output columns, in the order of `metrics` below. */
enum { OUT_NPV_IMPACT, OUT_NPV_AFTER, OUT_EXTRA_COST, OUT_SHOCK, OUT_MULTIPLIER, OUT_COLUMNS };

/* Hours in an average year (365.25 days), as capex_return uses. */
#define HOURS_PER_YEAR 8766.0
/* Terms longer than this are refused: the model is about a deal's contract, not a century. */
#define MAX_TERM_YEARS 50

/* Scenario inputs. The first seven are shared with the built-in modules (same draws in every trial);
   the last four are this module's own section, with defaults so that a scenario may leave it out. */
static const dealcast_input inputs[] = {
    {.path = "deal.capacity", .unit = "GW", .constraint = DEALCAST_POSITIVE,
     .summary = "Capacity the tenant commits to consume"},
    {.path = "capex_return.pue", .unit = "1", .constraint = DEALCAST_RANGE, .minimum = 1, .maximum = 3,
     .summary = "Power usage effectiveness of the facility"},
    {.path = "capex_return.load_factor", .unit = "1", .constraint = DEALCAST_PROBABILITY,
     .summary = "Average IT load as a share of capacity"},
    {.path = "capex_return.power_price", .unit = "USD/MWh", .constraint = DEALCAST_NON_NEGATIVE,
     .summary = "Price of electricity"},
    {.path = "capex_return.tax_rate", .unit = "1", .constraint = DEALCAST_PROBABILITY,
     .summary = "Cash tax rate on operating profit"},
    {.path = "deal.discount_rate", .unit = "1", .constraint = DEALCAST_RANGE, .minimum = -0.5, .maximum = 1,
     .summary = "Annual discount rate for the investor's cash flows"},
    {.path = "deal.compute_commitment.term", .unit = "years", .constraint = DEALCAST_POSITIVE,
     .summary = "Term of the compute commitment"},
    {.path = "power_price_shock.annual_probability", .unit = "1", .constraint = DEALCAST_PROBABILITY,
     .summary = "Chance, each year of the term, that the power price steps up",
     .default_value = "beta(2, 11)",
     .default_rationale =
         "EIA industrial prices in the data-centre states PA, OH, IL and IN rose 11-16% from April 2024 to "
         "April 2025 (FACTS D, high), one such step in the years FACTS covers; a mean of about 15% a year "
         "(a step every six or seven years), with a wide beta(2, 11) because one episode says little. "
         "Low confidence."},
    {.path = "power_price_shock.step", .unit = "1", .constraint = DEALCAST_RANGE, .minimum = 0, .maximum = 2,
     .summary = "Rise of the power price in one step, as a share of the price before it",
     .default_value = "pert(5%, 12%, 30%)",
     .default_rationale =
         "April 2024 to April 2025 EIA industrial prices: PA +11%, OH +16%, IL +11%, IN +12% (FACTS D, high, "
         "https://eia.gov/electricity/monthly/epm_table_grapher.php?t=table_5_06_a); mode 12%, from 5% to "
         "30% for a gas-price or capacity-market spike."},
    {.path = "power_price_shock.ramp", .unit = "years", .constraint = DEALCAST_POSITIVE,
     .summary = "Years until the deal's capacity is fully online (a straight ramp)",
     .default_value = "3 years",
     .default_rationale =
         "capex_return.build_schedule of the default scenario puts 25% of the capacity online in 2026, 70% "
         "by 2027 and all of it by 2028: close to a straight three-year ramp (33%, 67%, 100%)."},
    {.path = "power_price_shock.pass_through", .unit = "1", .constraint = DEALCAST_PROBABILITY,
     .summary = "Share of the extra power cost the provider recovers from customers",
     .default_value = "uniform(0%, 40%)",
     .default_rationale =
         "The tenant's commitment is priced per unit of compute, not of energy, so the provider bears the "
         "extra cost on contracted capacity; some is recovered on capacity resold at market prices. "
         "Assumption, low confidence."},
};

/* Other modules' metrics read, as full keys. The host runs capex_return first. */
static const char *const reads[] = {"capex_return.npv_usd"};

static const dealcast_metric metrics[] = {
    {.name = "npv_impact_usd", .unit = "USD", .kind = DEALCAST_CONTINUOUS, .headline = 1,
     .summary = "Present value of the after-tax extra power cost the provider bears (negative: a loss)"},
    {.name = "npv_after_shock_usd", .unit = "USD", .kind = DEALCAST_CONTINUOUS,
     .summary = "capex_return.npv_usd plus the impact of the power-price steps"},
    {.name = "extra_power_cost_usd", .unit = "USD", .kind = DEALCAST_CONTINUOUS,
     .summary = "Extra power cost the provider bears over the term, before tax and undiscounted"},
    {.name = "shock_occurs", .unit = "probability", .kind = DEALCAST_EVENT,
     .summary = "The power price steps up at least once during the term"},
    {.name = "price_multiplier_end", .unit = "1", .kind = DEALCAST_CONTINUOUS,
     .summary = "Power price in the last year of the term relative to the scenario's price"},
};

/* SplitMix64 (Steele, Lea & Flood 2014): a small, fast generator whose whole state is one 64-bit word,
   so it is seeded by assignment. Written here so the plugin needs nothing but libc and libm. */
static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A uniform draw on [0, 1) with 53 random bits. */
static double next_uniform(uint64_t *state) {
    return (double)(next_u64(state) >> 11) * 0x1.0p-53;
}

static int32_t evaluate(const dealcast_block *block, char *message, size_t message_size) {
    const int64_t n = block->count;
    if (block->input_columns != IN_COLUMNS || block->output_columns != OUT_COLUMNS) {
        snprintf(message, message_size, "expected %d input and %d output columns, got %lld and %lld",
                 IN_COLUMNS, OUT_COLUMNS, (long long)block->input_columns, (long long)block->output_columns);
        return DEALCAST_ERROR;
    }
    const double *in = block->inputs;
    double *out = block->outputs;
    uint64_t state = block->seed;
    for (int64_t i = 0; i < n; i++) {
        const double capacity = in[IN_CAPACITY * n + i], pue = in[IN_PUE * n + i];
        const double load = in[IN_LOAD_FACTOR * n + i], price = in[IN_POWER_PRICE * n + i];
        const double tax = in[IN_TAX_RATE * n + i], rate = in[IN_DISCOUNT_RATE * n + i];
        const double term = in[IN_TERM * n + i], p = in[IN_PROBABILITY * n + i];
        const double step = in[IN_STEP * n + i], ramp = in[IN_RAMP * n + i];
        const double kept = 1.0 - in[IN_PASS_THROUGH * n + i];
        if (term > MAX_TERM_YEARS) {
            snprintf(message, message_size, "deal.compute_commitment.term is %.1f years in trial %lld; "
                     "this model covers terms of at most %d years", term, (long long)(block->first_trial + i + 1), MAX_TERM_YEARS);
            return DEALCAST_ERROR;
        }
        /* MWh drawn per year at full capacity: GW * 1000 MW/GW * PUE * hours * load factor. */
        const double mwh_full = capacity * 1000.0 * pue * HOURS_PER_YEAR * load;
        const int years = (int)ceil(term);
        double multiplier = 1.0, extra_total = 0.0, pv = 0.0, discount = 1.0;
        int shocks = 0;
        for (int t = 0; t < years; t++) {
            /* One draw per year compared with p: a higher p turns more of the same draws into steps
               (common random numbers when p changes). */
            if (next_uniform(&state) < p) {
                multiplier *= 1.0 + step;
                shocks++;
            }
            const double online = fmin(1.0, (t + 1) / ramp);
            const double in_term = fmin(1.0, term - t); /* the last year may be partial */
            const double extra = mwh_full * online * in_term * price * (multiplier - 1.0) * kept;
            discount /= 1.0 + rate;
            extra_total += extra;
            pv += extra * (1.0 - tax) * discount;
        }
        out[OUT_NPV_IMPACT * n + i] = -pv;
        out[OUT_NPV_AFTER * n + i] = in[IN_CAPEX_NPV * n + i] - pv;
        out[OUT_EXTRA_COST * n + i] = extra_total;
        out[OUT_SHOCK * n + i] = shocks > 0 ? 1.0 : 0.0;
        out[OUT_MULTIPLIER * n + i] = multiplier;
    }
    return DEALCAST_OK;
}

static const dealcast_plugin plugin = {
    .abi_version = DEALCAST_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(dealcast_plugin),
    .id = "power_price_shock",
    .version = "1.0.0",
    .description = "What step rises in the power price cost the provider on the deal's capacity, and what is "
                   "left of the capacity's NPV.",
    .input_count = sizeof(inputs) / sizeof(inputs[0]),
    .input_size = sizeof(dealcast_input),
    .inputs = inputs,
    .read_count = sizeof(reads) / sizeof(reads[0]),
    .reads = reads,
    .metric_count = sizeof(metrics) / sizeof(metrics[0]),
    .metric_size = sizeof(dealcast_metric),
    .metrics = metrics,
    .evaluate = evaluate,
};

DEALCAST_PLUGIN_EXPORT const dealcast_plugin *dealcast_plugin_entry(void) {
    return &plugin;
}
