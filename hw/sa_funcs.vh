// Fixed-point functions of docs/numerics.md for hw/sa_engine.v: shift terms, channel gain, requantisation, CSD, clamps.

// Largest value of the output width: 32767 for 16-bit outputs, 127 for 8-bit.
function signed [31:0] sat_hi;
  input wide;
  begin
    sat_hi = wide ? 32'sd32767 : 32'sd127;
  end
endfunction

function signed [31:0] sat;
  input signed [31:0] v;
  input wide;
  reg signed [31:0] hi;
  begin
    hi = sat_hi(wide);
    sat = (v > hi) ? hi : (v < -hi - 32'sd1) ? -hi - 32'sd1 : v;
  end
endfunction

// requant(v, r, bits): rounding (half up) right shift for r > 0, identity for r = 0, saturate-then-shift for r < 0.
function signed [31:0] requant;
  input signed [31:0] v;
  input signed [31:0] r;
  input wide;
  reg signed [31:0] t;
  reg signed [31:0] nr;
  reg [4:0] s;
  begin
    nr = -r;
    if (r > 0) begin
      s = r[4:0];
      t = (v + (32'sd1 <<< (s - 5'd1))) >>> s;
    end else if (r == 0) begin
      t = v;
    end else begin
      s = (nr < (wide ? 32'sd16 : 32'sd8)) ? nr[4:0] : (wide ? 5'd16 : 5'd8);
      t = sat(v, wide) <<< s;
    end
    requant = sat(t, wide);
  end
endfunction

// One shift-add term's magnitude: code 0 is no term, sign x (1 + sh) stands for sign x (x << sh), sh < 2^(CB-2)
// (docs/numerics.md); the caller adds it, or its complement plus one for a negative sign (one adder with a carry in).
// verilator lint_off UNUSEDSIGNAL
function signed [31:0] term_mag;
  input signed [7:0] code;
  input signed [31:0] x;
  reg [7:0] m;
  reg [7:0] sh;
  begin
    m = code[7] ? 8'd0 - code : code;
    sh = m - 8'd1;
    term_mag = (code == 8'sd0) ? 32'sd0 : x <<< sh[CB-3:0];
  end
endfunction

// One gain digit's magnitude: code sign x (1 + j), j < 16, stands for sign x (acc >> j), an arithmetic (floor) shift.
function signed [31:0] digit_mag;
  input signed [7:0] code;
  input signed [31:0] acc;
  reg [7:0] m;
  reg [7:0] sh;
  begin
    m = code[7] ? 8'd0 - code : code;
    sh = m - 8'd1;
    digit_mag = (code == 8'sd0) ? 32'sd0 : acc >>> sh[3:0];
  end
endfunction
// verilator lint_on UNUSEDSIGNAL

// CSD multiply by 1/N: the sum over digits j = 0..D of d_j (s << (D - j)), positive and negative digits as masks,
// in Horner form (a = 2a + d_j s): shifts by one and adds, no barrel shifter; equal modulo 2^32, like the spec's int32.
function signed [31:0] csd;
  input signed [31:0] s;
  input [31:0] pos;
  input [31:0] neg;
  input [4:0] dd;
  integer j;
  reg signed [31:0] a;
  begin
    a = 32'sd0;
    for (j = 0; j < 31; j = j + 1)
      if (j <= dd) a = (a <<< 1) + (pos[j] ? s : 32'sd0) - (neg[j] ? s : 32'sd0);
    csd = a;
  end
endfunction

function signed [31:0] clamp;
  input signed [31:0] v;
  input signed [31:0] lo;
  input signed [31:0] hi;
  begin
    clamp = (v < lo) ? lo : (v > hi) ? hi : v;
  end
endfunction
