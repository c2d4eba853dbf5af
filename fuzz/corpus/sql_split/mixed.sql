-- a; comment
CREATE TABLE a (s TEXT DEFAULT 'x;''y');
/* outer /* nested; */ still; */ INSERT INTO a VALUES ("q;");
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE a SET s = CASE WHEN 1 THEN 'a' ELSE 'b' END;
  DELETE FROM a WHERE 0;
END;
;;
