SELECT 1 /* ; */ -- c
FROM t WHERE a = 'x--y' AND "q/*" = `b` AND [c--] = ''''