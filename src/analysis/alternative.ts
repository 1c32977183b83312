/** H1 of a test; `greater` means the first sample (a, x1) is larger than the second. */
export type Alternative = 'two-sided' | 'greater' | 'less';
